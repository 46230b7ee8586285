"""Sessions are read through the shared cache, and a session that ends — signed out, ended from another
session, its user deleted — stops working at once, also when its copy was cached."""
from __future__ import annotations

import pickle

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.backends import CACHED_FIELDS
from apps.accounts.models import Session
from apps.accounts.services import session_end
from apps.accounts.sessions import SessionStore
from apps.accounts.testing import UserFactory
from apps.core.readcache import _entry_key, shared_cache

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
PASSWORD = "violet-harbour-lantern-42"


def _sign_in(user) -> Client:
    client = Client()
    assert client.post("/login/", {"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _queries_of(client, needle: str, path: str) -> tuple[int, list[str]]:
    """A GET's status and the SQL it ran that contains `needle`."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, [q["sql"] for q in queries.captured_queries if needle in q["sql"]]


def _session_queries(client, path="/api/trades?limit=5") -> tuple[int, list[str]]:
    return _queries_of(client, "accounts_session", path)


def _user_queries(client, path="/api/trades?limit=5") -> tuple[int, list[str]]:
    return _queries_of(client, 'FROM "accounts_user"', path)


def _two_cached_sign_ins(user, queries) -> tuple[Client, Client]:
    """Two clients of one user, each served from the cache by its second request (`queries` finds none)."""
    laptop, phone = _sign_in(user), _sign_in(user)
    for client in (laptop, phone):
        assert queries(client)[0] == 200
        assert queries(client)[1] == []
    return laptop, phone


def test_a_signed_in_request_reads_its_session_from_the_cache():
    client = _sign_in(UserFactory(password=PASSWORD))
    status, first = _session_queries(client)
    assert status == 200
    status, again = _session_queries(client)
    assert status == 200 and again == []  # no query of the session table


def test_a_session_ended_from_another_one_is_refused_at_once_though_it_was_cached():
    user = UserFactory(password=PASSWORD)
    laptop, phone = _two_cached_sign_ins(user, _session_queries)
    current = Session.objects.get(session_key=laptop.session.session_key)

    assert session_end(user=user, session_id="others", current_session_key=current.session_key) == 1

    assert phone.get("/api/trades?limit=5").status_code in (401, 403)
    assert laptop.get("/api/trades?limit=5").status_code == 200


def test_signing_out_and_deleting_the_user_end_cached_sessions():
    user = UserFactory(password=PASSWORD)
    kept_cookie, client = _sign_in(user), _sign_in(user)
    assert _session_queries(client)[0] == 200 and _session_queries(kept_cookie)[0] == 200
    old_cookie = client.cookies["sessionid"].value
    assert client.post("/logout/").status_code in (200, 302)
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    assert replay.get("/api/trades?limit=5").status_code in (401, 403)

    user.delete()  # cascades to the remaining session row
    assert kept_cookie.get("/api/trades?limit=5").status_code in (401, 403)


def test_a_row_loaded_just_before_its_delete_is_not_put_back_into_the_cache():
    client = _sign_in(UserFactory(password=PASSWORD))
    key = client.cookies["sessionid"].value
    early = SessionStore(key)
    row = Session.objects.get(session_key=key)  # a request read the row ...
    Session.objects.filter(session_key=key).delete()  # ... the session ends ...
    early._cache_row(row)  # ... and that request now tries to keep what it read

    assert SessionStore(key).load() == {}
    assert client.get("/api/trades?limit=5").status_code in (401, 403)


def test_the_signed_in_user_is_read_from_the_cache_until_they_change():
    user = UserFactory(password=PASSWORD)
    client = _sign_in(user)
    assert _user_queries(client)[0] == 200
    status, again = _user_queries(client)
    assert status == 200 and again == []  # no query of the user table

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert client.get("/api/trades?limit=5").status_code in (401, 403)  # at once, though the user was cached


def test_the_cached_user_holds_neither_the_password_hash_nor_the_email():
    user = UserFactory(password=PASSWORD, email="cached.user@example.com")
    client = _sign_in(user)
    assert client.get("/api/trades?limit=5").status_code == 200
    entry = shared_cache().get(_entry_key(str(user.pk), "accounts.user", repr(())))
    kept = pickle.dumps(entry)

    assert entry is not None and entry[2][0][CACHED_FIELDS.index("id")] == user.pk
    assert user.password.encode() not in kept and b"cached.user@example.com" not in kept
    assert _user_queries(client, "/account/")[0] == 200  # a page that shows the email loads it


def test_a_password_changed_elsewhere_ends_a_cached_session_at_once_and_keeps_the_changing_one():
    user = UserFactory(password=PASSWORD)
    laptop, phone = _two_cached_sign_ins(user, _user_queries)

    response = laptop.post("/api/auth/password", {"oldPassword": PASSWORD, "newPassword": "amber-quarry-wicket-77"},
                           content_type="application/json")

    assert response.status_code in (200, 204), response.content
    assert laptop.get("/api/trades?limit=5").status_code == 200
    assert phone.get("/api/trades?limit=5").status_code in (401, 403)
