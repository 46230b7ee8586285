import hashlib

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.accounts.models import Audit, Session, User
from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory
from apps.core.testing import csrf_token_for

pytestmark = pytest.mark.django_db

STRONG = "violet-harbour-lantern-42"
UA = "Mozilla/5.0 (X11; Linux x86_64) TwinTest/1.0"
IP = "203.0.113.7"


def _client() -> APIClient:
    client = APIClient(enforce_csrf_checks=True, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    client.credentials(HTTP_X_CSRFTOKEN=csrf_token_for(client))
    return client


def _post(client, path, data=None):
    return client.post(path, data, format="json")


def test_signup_creates_user_logs_in_and_audits():
    client = _client()
    response = _post(client, "/api/auth/signup", {"email": "  Ada@Example.COM ", "password": STRONG})

    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get()
    assert body == {"id": user.id, "email": "ada@example.com",
                    "createdAt": user.created_at.isoformat().replace("+00:00", "Z"), "coachTone": "supportive",
                    "timezone": "UTC", "digestEmail": True, "persona": "crypto"}
    assert user.password.startswith("argon2$argon2id$")
    me = client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
    assert list(Audit.objects.filter(user=user).order_by("created_at").values_list("action", flat=True)) == [
        "signup", "login"]
    assert Session.objects.filter(user=user).count() == 1


def test_signup_duplicate_email_is_case_insensitive_and_writes_nothing():
    UserFactory(email="bob@example.com")
    client = _client()
    response = _post(client, "/api/auth/signup", {"email": "BOB@example.com", "password": STRONG})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "email" in response.json()["error"]["fields"]
    assert User.objects.count() == 1
    assert not Audit.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "a" * 4990 + "@example.com", "password": STRONG}, "email"),
        ({"email": "not-an-email", "password": STRONG}, "email"),
        ({"password": STRONG}, "email"),
        ({"email": "carol@example.com"}, "password"),
        ({"email": "carol@example.com", "password": "short"}, "password"),
        ({"email": "carol@example.com", "password": "password123"}, "password"),
        ({"email": "carol@example.com", "password": "12345678901"}, "password"),
        ({"email": "carol@example.com", "password": "carol@example.com"}, "password"),
    ],
)
def test_signup_bad_input_is_400_with_fields_and_writes_nothing(payload, field):
    client = _client()
    response = _post(client, "/api/auth/signup", payload)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert not User.objects.exists()
    assert not Audit.objects.exists()
    assert not Session.objects.exclude(user=None).exists()


def test_login_rotates_session_key_and_stores_only_hashes():
    user = UserFactory(email="dora@example.com")
    client = _client()
    client.session.save()  # an anonymous session exists before login
    anonymous_key = client.session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = anonymous_key

    response = _post(client, "/api/auth/login", {"email": "DORA@example.com", "password": DEFAULT_PASSWORD})

    assert response.status_code == 200, response.content
    assert response.json()["id"] == user.id
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != anonymous_key
    assert not Session.objects.filter(session_key=anonymous_key).exists()
    row = Session.objects.get(session_key=new_key)
    assert row.user_id == user.id
    pepper = settings.SESSION_HASH_PEPPER
    assert row.ip_hash == hashlib.sha256((IP + pepper).encode()).hexdigest()
    assert row.ua_hash == hashlib.sha256((UA + pepper).encode()).hexdigest()
    stored = " ".join(str(v) for v in Session.objects.filter(pk=row.pk).values().get().values())
    assert IP not in stored
    assert "TwinTest" not in stored
    assert row.expires_at == row.expire_date
    assert Audit.objects.get(user=user, action="login").meta == {"ipHash": row.ip_hash}


def test_session_row_keeps_id_and_created_at_across_saves():
    UserFactory(email="eve@example.com")
    client = _client()
    _post(client, "/api/auth/login", {"email": "eve@example.com", "password": DEFAULT_PASSWORD})
    row = Session.objects.get()
    client.credentials(HTTP_X_CSRFTOKEN=csrf_token_for(client))
    _post(client, "/api/auth/preferences", {"coachTone": "strict"})
    session = client.session
    session["touched"] = True
    session.save()

    again = Session.objects.get()
    assert (again.id, again.created_at) == (row.id, row.created_at)


def test_wrong_password_is_401_without_session_and_audits_without_password():
    user = UserFactory(email="finn@example.com")
    client = _client()
    response = _post(client, "/api/auth/login", {"email": "finn@example.com", "password": "wrong-secret-value"})

    assert response.status_code == 401
    assert response.json() == {"error": {"code": "invalid_credentials", "message": "The email or password is wrong."}}
    assert not Session.objects.exclude(user=None).exists()
    audit = Audit.objects.get(action="login_failed")
    assert audit.user == user
    assert audit.meta["emailDomain"] == "example.com"
    assert "wrong-secret-value" not in str(audit.meta)
    assert "finn@example.com" not in str(audit.meta)
    assert client.get("/api/auth/me").status_code == 401


def test_login_unknown_email_is_401():
    client = _client()
    response = _post(client, "/api/auth/login", {"email": "ghost@example.com", "password": STRONG})
    assert response.status_code == 401
    assert Audit.objects.get().action == "login_failed"
    assert Audit.objects.get().user is None


def test_logout_deletes_session_row_and_audits():
    user = UserFactory()
    client = _client()
    _post(client, "/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert Session.objects.filter(user=user).count() == 1
    client.credentials(HTTP_X_CSRFTOKEN=csrf_token_for(client))

    response = _post(client, "/api/auth/logout")

    assert response.status_code == 204
    assert Session.objects.filter(user=user).count() == 0
    assert Audit.objects.filter(user=user, action="logout").count() == 1
    assert client.get("/api/auth/me").status_code == 401


def test_me_anonymous_is_401_json():
    response = APIClient().get("/api/auth/me")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "not_authenticated", "message": "Log in first."}}


def test_csrf_endpoint_returns_token_and_cookie():
    client = APIClient(enforce_csrf_checks=True)
    response = client.get("/api/auth/csrf")
    assert response.status_code == 200
    token = response.json()["csrfToken"]
    assert len(token) == 64
    assert settings.CSRF_COOKIE_NAME in response.cookies


def test_preferences_sets_coach_tone(api_client, user):
    response = api_client.post("/api/auth/preferences", {"coachTone": "strict"}, format="json")
    assert response.status_code == 200
    assert response.json()["coachTone"] == "strict"
    user.refresh_from_db()
    assert user.coach_tone == "strict"
    assert Audit.objects.get(user=user, action="preferences_changed").meta == {"coachTone": "strict"}


def test_preferences_rejects_unknown_tone(api_client, user):
    response = api_client.patch("/api/auth/preferences", {"coachTone": "harsh"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["coachTone"]
    user.refresh_from_db()
    assert user.coach_tone == "supportive"


def test_password_change_rotates_session_ends_others_and_runs_hooks(django_capture_on_commit_callbacks):
    from apps.accounts import hooks

    user = UserFactory()
    other = _client()
    _post(other, "/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    client = _client()
    _post(client, "/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(user=user).count() == 2
    client.credentials(HTTP_X_CSRFTOKEN=csrf_token_for(client))
    seen = []

    def on_change(*, user_id):
        seen.append(user_id)

    hooks.on_password_changed(on_change)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(client, "/api/auth/password", {"oldPassword": DEFAULT_PASSWORD, "newPassword": STRONG})
    finally:
        hooks._password_changed.remove(on_change)

    assert response.status_code == 204, response.content
    assert seen == [user.id]
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert list(Session.objects.filter(user=user).values_list("session_key", flat=True)) == [new_key]
    assert client.get("/api/auth/me").status_code == 200
    assert other.get("/api/auth/me").status_code == 401
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert Audit.objects.filter(user=user, action="password_changed").count() == 1


def test_password_change_wrong_old_password_changes_nothing(api_client, user):
    before = user.password
    response = api_client.post("/api/auth/password", {"oldPassword": "nope-nope-nope", "newPassword": STRONG},
                               format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["oldPassword"]
    user.refresh_from_db()
    assert user.password == before
    assert not Audit.objects.filter(action="password_changed").exists()


def test_logout_hook_receives_user_and_session(django_capture_on_commit_callbacks):
    from apps.accounts import hooks

    user = UserFactory()
    client = _client()
    _post(client, "/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.credentials(HTTP_X_CSRFTOKEN=csrf_token_for(client))
    seen = []

    def on_out(*, user_id, session_key):
        seen.append((user_id, session_key))

    def broken(**kwargs):
        raise RuntimeError("subscriber failure must not break logout")

    hooks.on_logout(broken)
    hooks.on_logout(on_out)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(client, "/api/auth/logout")
    finally:
        hooks._logout.remove(broken)
        hooks._logout.remove(on_out)
    assert response.status_code == 204
    assert seen == [(user.id, key)]


def test_preferences_sets_timezone_and_digest_email(api_client, user):
    response = api_client.patch("/api/auth/preferences", {"timezone": "Europe/Paris", "digestEmail": False},
                                format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["timezone"], response.json()["digestEmail"]) == ("Europe/Paris", False)
    user.refresh_from_db()
    assert (user.timezone, user.digest_email, user.coach_tone) == ("Europe/Paris", False, "supportive")
    assert Audit.objects.get(user=user, action="preferences_changed").meta == {"timezone": "Europe/Paris",
                                                                               "digestEmail": False}


def test_preferences_rejects_unknown_timezone_and_writes_nothing(api_client, user):
    response = api_client.patch("/api/auth/preferences", {"timezone": "Mars/Olympus", "coachTone": "strict"},
                                format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["timezone"]
    user.refresh_from_db()
    assert (user.timezone, user.coach_tone) == ("UTC", "supportive")
    assert not Audit.objects.filter(user=user, action="preferences_changed").exists()


def test_preferences_rejects_an_empty_body(api_client, user):
    response = api_client.patch("/api/auth/preferences", {}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
