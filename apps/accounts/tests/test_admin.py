import pytest
from django.test import Client

from apps.accounts.models import Audit, Session, User
from apps.accounts.services import audit_record
from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in():
    admin = User.objects.create_superuser("ops@example.com", "ops-password-strong-1")
    client = Client()
    client.force_login(admin)
    return client


def test_user_change_page_never_shows_the_password_hash(admin_client_logged_in):
    user = UserFactory()
    response = admin_client_logged_in.get(f"/admin/accounts/user/{user.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    hash_part = user.password.rsplit("$", 1)[-1]
    salt_part = user.password.split("$")[-2]
    assert hash_part not in html
    assert salt_part not in html
    assert "argon2" not in html
    assert "set · <a href=\"/admin/accounts/user/" in html
    assert 'name="password"' not in html


def test_user_changelist_search_and_filters(admin_client_logged_in):
    UserFactory(email="findme@example.com")
    UserFactory(email="other@example.com")
    response = admin_client_logged_in.get("/admin/accounts/user/", {"q": "findme", "is_active__exact": "1"})
    assert response.status_code == 200
    assert b"findme@example.com" in response.content
    assert b"other@example.com" not in response.content


def test_admin_can_add_user_with_lowercased_email(admin_client_logged_in):
    response = admin_client_logged_in.post("/admin/accounts/user/add/", {
        "email": "New.Person@Example.com", "usable_password": "true",
        "password1": "violet-harbour-lantern-42", "password2": "violet-harbour-lantern-42",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(email="new.person@example.com")
    assert created.check_password("violet-harbour-lantern-42")


def test_admin_password_change_form_works(admin_client_logged_in):
    user = UserFactory()
    url = f"/admin/accounts/user/{user.pk}/password/"
    assert admin_client_logged_in.get(url).status_code == 200
    response = admin_client_logged_in.post(url, {"password1": "violet-harbour-lantern-43",
                                                  "password2": "violet-harbour-lantern-43"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("violet-harbour-lantern-43")


def test_session_admin_is_read_only_and_shows_hash_prefix(admin_client_logged_in):
    user = UserFactory()
    client = Client(REMOTE_ADDR="192.0.2.9")
    client.post("/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    session = Session.objects.get(user=user)

    listing = admin_client_logged_in.get("/admin/accounts/session/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert session.ip_hash[:12] in html
    assert session.ip_hash not in html
    assert session.session_key not in html
    assert user.email in html
    assert admin_client_logged_in.get("/admin/accounts/session/add/").status_code == 403


def test_audit_admin_is_read_only(admin_client_logged_in):
    user = UserFactory()
    audit = audit_record(user=user, action="login", meta={"ipHash": "abc"})
    listing = admin_client_logged_in.get("/admin/accounts/audit/", {"action": "login"})
    assert listing.status_code == 200
    assert user.email.encode() in listing.content
    assert admin_client_logged_in.get("/admin/accounts/audit/add/").status_code == 403
    response = admin_client_logged_in.post(f"/admin/accounts/audit/{audit.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Audit.objects.filter(pk=audit.pk).exists()


def test_digest_admin_lists(admin_client_logged_in):
    response = admin_client_logged_in.get("/admin/digest/digest/")
    assert response.status_code == 200
