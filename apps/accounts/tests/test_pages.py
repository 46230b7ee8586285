import re

import pytest
from django.conf import settings
from django.test import Client

from apps.accounts.models import Audit, Session, User
from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "violet-harbour-lantern-42"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style[\s>]|\sstyle=|\son[a-z]+=", re.I)


def _csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def _token(client: Client, path: str) -> str:
    html = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_landing_for_visitors_and_redirect_for_members(client, user):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Create an account" in response.content
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


@pytest.mark.parametrize("path", ["/", "/signup/", "/login/"])
def test_pages_have_no_inline_script_or_style(client, path):
    html = client.get(path).content.decode()
    assert not INLINE.search(html), INLINE.search(html)


def test_account_page_has_no_inline_script_or_style(client, user):
    client.force_login(user)
    html = client.get("/account/").content.decode()
    assert not INLINE.search(html), INLINE.search(html)


def test_signup_form_creates_account_and_lands_on_the_dashboard():
    client = _csrf_client()
    token = _token(client, "/signup/")
    response = client.post("/signup/", {"email": "Page@Example.com", "password": STRONG,
                                        "csrfmiddlewaretoken": token}, follow=True)

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert b"Welcome! Your account is ready." in response.content
    user = User.objects.get()
    assert Session.objects.filter(user=user).count() == 1
    assert set(Audit.objects.values_list("action", flat=True)) == {"signup", "login"}


def test_signup_form_shows_errors_and_writes_nothing(client):
    response = client.post("/signup/", {"email": "x" * 5000, "password": "123"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="email"' in html
    assert not User.objects.exists()

    response = client.post("/signup/", {"email": "ok@example.com", "password": "12345678"})
    assert response.status_code == 400
    assert 'data-field="password"' in response.content.decode()
    assert "This password is too common." in response.content.decode()
    assert not User.objects.exists()


def test_login_page_success_and_failure(client):
    user = UserFactory(email="lena@example.com")
    bad = client.post("/login/", {"email": "lena@example.com", "password": "not-it-at-all"})
    assert bad.status_code == 400
    assert b"The email or password is wrong." in bad.content
    assert not Session.objects.filter(user=user).exists()

    good = client.post("/login/", {"email": "LENA@example.com", "password": DEFAULT_PASSWORD})
    assert good.status_code == 302
    assert good["Location"] == "/dashboard/"
    assert Session.objects.filter(user=user).count() == 1


def test_login_next_only_follows_local_urls(client, user):
    response = client.post("/login/?next=https://evil.example/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/dashboard/"
    client.logout()
    response = client.post("/login/?next=/api/docs/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/api/docs/"


def test_account_requires_login(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/account/"


def test_logout_get_shows_a_logout_button_and_only_the_post_deletes_the_session(client, user):
    client.post("/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    page = client.get("/logout/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<form method="post" action="/logout/" id="logout-form">' in html
    assert f"You are signed in as <strong>{user.email}</strong>" in html
    assert Session.objects.filter(user=user).count() == 1
    response = client.post("/logout/")
    assert response.status_code == 302
    assert Session.objects.filter(user=user).count() == 0
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""
    assert "You are logged out" in client.get("/logout/").content.decode()


def test_account_page_changes_tone_and_password(client, user):
    client.post("/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    page = client.get("/account/")
    assert page.status_code == 200
    html = page.content.decode()
    assert user.email in html
    assert "this browser" in html

    response = client.post("/account/preferences", {"coach_tone": "strict"}, follow=True)
    assert b"Coach tone saved." in response.content
    user.refresh_from_db()
    assert user.coach_tone == "strict"

    wrong = client.post("/account/password", {"old_password": "nope-nope", "new_password": STRONG})
    assert wrong.status_code == 400
    assert b"The current password is wrong." in wrong.content
    weak = client.post("/account/password", {"old_password": DEFAULT_PASSWORD, "new_password": "1234"})
    assert weak.status_code == 400
    assert b'data-field="new_password"' in weak.content
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)

    done = client.post("/account/password", {"old_password": DEFAULT_PASSWORD, "new_password": STRONG}, follow=True)
    assert b"Password changed." in done.content
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert client.get("/account/").status_code == 200
