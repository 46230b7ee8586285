"""Connect flows: Coinbase OAuth (state + PKCE, session-bound, single use), refresh, Binance keys, disconnect."""
from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import Audit
from apps.brokers.adapters.coinbase import CoinbaseAdapter
from apps.brokers.adapters.errors import BrokerAuthError
from apps.brokers.models import BrokerConnection, OAuthState
from apps.brokers.services import ConnectionInactive, connection_adapter, connection_open_tokens
from apps.brokers.stub import (
    READ_ONLY_KEY,
    READ_ONLY_SECRET,
    TRADING_KEY,
    TRADING_SECRET,
    WITHDRAW_KEY,
    WITHDRAW_SECRET,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def _start(client) -> str:
    response = client.post("/api/brokers/coinbase/connect/start")
    assert response.status_code == 200, response.content
    return response.json()["redirectUrl"]


def _approve(redirect_url: str) -> tuple[str, dict]:
    """What the browser does at the exchange: the stub auto-approves and redirects back."""
    response = httpx.get(redirect_url, follow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    return location.path, {k: v[0] for k, v in parse_qs(location.query).items()}


def _nothing_linked():
    assert BrokerConnection.objects.count() == 0
    assert Audit.objects.filter(action="broker_linked").count() == 0


def test_start_redirects_to_authorize_with_pkce_s256_and_state(stub_exchange, api_client, user):
    url = _start(api_client)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{stub_exchange.url}/oauth2/auth"
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 40
    assert "offline_access" in query["scope"]
    pending = OAuthState.objects.get(user=user)
    assert query["state"] not in pending.state_hash  # only a hash is stored
    assert pending.expires_at - timezone.now() <= timedelta(minutes=10)


def test_full_oauth_flow_links_coinbase(stub_exchange, api_client, user):
    path, params = _approve(_start(api_client))
    assert path == "/api/brokers/coinbase/connect/callback"

    response = api_client.get(path, params)

    assert response.status_code == 302
    assert response["Location"] == "/connections/?linked=coinbase"
    connection = BrokerConnection.objects.get(user=user)
    assert (connection.broker, connection.status) == ("coinbase", "active")
    assert connection.expires_at > timezone.now() + timedelta(minutes=50)
    assert stub_exchange.state.access_token_valid(connection_open_tokens(connection=connection).access)
    audit = Audit.objects.get(action="broker_linked")
    assert audit.user == user and audit.meta == {"broker": "coinbase", "connectionId": connection.id,
                                                  "relinked": False}
    assert OAuthState.objects.get(user=user).used_at is not None


def test_missing_state_rejected_nothing_written(stub_exchange, api_client):
    path, params = _approve(_start(api_client))
    response = api_client.get(path, {"code": params["code"]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_state"
    _nothing_linked()
    assert OAuthState.objects.filter(used_at__isnull=False).count() == 0


def test_altered_state_rejected_nothing_written(stub_exchange, api_client):
    path, params = _approve(_start(api_client))
    altered = params["state"][:-1] + ("A" if params["state"][-1] != "A" else "B")
    response = api_client.get(path, {"code": params["code"], "state": altered})
    assert response.status_code == 400
    _nothing_linked()
    assert OAuthState.objects.filter(used_at__isnull=False).count() == 0


def test_replayed_state_rejected(stub_exchange, api_client, user):
    path, params = _approve(_start(api_client))
    assert api_client.get(path, params).status_code == 302
    connection_bytes = bytes(BrokerConnection.objects.get(user=user).access_enc)

    replay = api_client.get(path, params)

    assert replay.status_code == 400
    assert replay.json()["error"]["code"] == "invalid_state"
    assert BrokerConnection.objects.count() == 1
    assert bytes(BrokerConnection.objects.get(user=user).access_enc) == connection_bytes
    assert Audit.objects.filter(action="broker_linked").count() == 1


def test_state_from_another_session_rejected(stub_exchange, api_client, user):
    path, params = _approve(_start(api_client))
    other_browser = APIClient()
    other_browser.force_login(user)  # same user, different session
    response = other_browser.get(path, params)
    assert response.status_code == 400
    _nothing_linked()
    assert OAuthState.objects.filter(used_at__isnull=False).count() == 0


def test_state_of_another_user_rejected(stub_exchange, api_client, other_api_client):
    path, params = _approve(_start(api_client))
    assert other_api_client.get(path, params).status_code == 400
    _nothing_linked()


def test_expired_state_rejected(stub_exchange, api_client):
    path, params = _approve(_start(api_client))
    OAuthState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_client.get(path, params).status_code == 400
    _nothing_linked()


def test_wrong_code_with_valid_state_rejected_without_connection(stub_exchange, api_client):
    path, params = _approve(_start(api_client))
    response = api_client.get(path, {"state": params["state"], "code": "forged-code"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "oauth_failed"
    _nothing_linked()


def test_denied_authorization_links_nothing(stub_exchange, api_client):
    stub_exchange.state.deny_authorization = True
    path, params = _approve(_start(api_client))
    assert params["error"] == "access_denied"
    response = api_client.get(path, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "oauth_denied"
    _nothing_linked()


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_sent_back_after_denying_access_gets_a_page_saying_so(stub_exchange, api_client):
    stub_exchange.state.deny_authorization = True
    path, params = _approve(_start(api_client))
    response = api_client.get(path, params, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert '<section class="card narrow" id="connect-failed" data-code="oauth_denied">' in html
    assert "<h1>Coinbase access was not granted</h1>" in html
    assert "invalid" not in html.lower()
    assert '<a class="button" href="/connections/">Back to connections</a>' in html
    _nothing_linked()


def test_a_browser_with_a_bad_state_gets_a_page_with_the_message_and_a_way_back(stub_exchange, api_client):
    path, params = _approve(_start(api_client))
    response = api_client.get(path, {**params, "state": "forged-state"}, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>The Coinbase connection could not be completed</h1>" in html
    assert '<a class="button" href="/connections/">Back to connections</a>' in html
    assert '{"error"' not in html
    _nothing_linked()


def test_pkce_verifier_is_required_by_the_exchange(stub_exchange):
    adapter = CoinbaseAdapter()
    start = adapter.start_auth(redirect_uri="http://127.0.0.1/cb")
    _path, params = _approve(start.redirect_url)
    with pytest.raises(BrokerAuthError, match="PKCE verification failed"):
        adapter.complete_auth(code=params["code"], redirect_uri="http://127.0.0.1/cb", code_verifier="x" * 64)


def test_refresh_before_expiry_rotates_single_use_refresh_token(stub_exchange, coinbase_connection):
    old = connection_open_tokens(connection=coinbase_connection)
    BrokerConnection.objects.filter(id=coinbase_connection.id).update(
        expires_at=timezone.now() + timedelta(minutes=2))
    connection = BrokerConnection.objects.get(id=coinbase_connection.id)

    adapter = connection_adapter(connection=connection)

    refreshed = BrokerConnection.objects.get(id=connection.id)
    new = connection_open_tokens(connection=refreshed)
    assert new.access != old.access and new.refresh != old.refresh
    assert refreshed.expires_at > timezone.now() + timedelta(minutes=50)
    assert stub_exchange.state.hits["POST /oauth2/token"] == 2  # the link + one refresh
    with pytest.raises(BrokerAuthError, match="refresh token invalid or used"):
        CoinbaseAdapter().refresh_tokens(refresh_token=old.refresh)
    page = adapter.fetch_trades(since=stub_exchange.state.anchor - timedelta(days=31),
                                until=stub_exchange.state.anchor + timedelta(hours=1))
    assert page.items


def test_unauthorized_mid_import_refreshes_once_and_continues(stub_exchange, coinbase_connection):
    adapter = connection_adapter(connection=coinbase_connection)
    current = connection_open_tokens(connection=coinbase_connection)
    adapter._access_token = current.access + "x"  # as if it had expired early
    page = adapter.fetch_trades(since=stub_exchange.state.anchor - timedelta(days=31),
                                until=stub_exchange.state.anchor + timedelta(hours=1))
    assert len(page.items) > 0
    assert connection_open_tokens(connection=BrokerConnection.objects.get(id=coinbase_connection.id)).refresh \
        != current.refresh


def test_revoked_refresh_token_marks_connection_error(stub_exchange, coinbase_connection):
    tokens = connection_open_tokens(connection=coinbase_connection)
    stub_exchange.state.revoke(tokens.refresh)
    BrokerConnection.objects.filter(id=coinbase_connection.id).update(expires_at=timezone.now())
    with pytest.raises(BrokerAuthError, match="no longer accepts"):
        connection_adapter(connection=BrokerConnection.objects.get(id=coinbase_connection.id))
    assert BrokerConnection.objects.get(id=coinbase_connection.id).status == "error"


def test_binance_read_only_key_linked(stub_exchange, api_client, user):
    response = api_client.post("/api/brokers/binance/keys", {"apiKey": READ_ONLY_KEY, "apiSecret": READ_ONLY_SECRET},
                               format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["broker"] == "binance" and body["status"] == "active"
    assert READ_ONLY_KEY not in response.content.decode() and READ_ONLY_SECRET not in response.content.decode()
    assert stub_exchange.state.hits["GET /binance/sapi/v1/account/apiRestrictions"] == 1
    assert sum(stub_exchange.state.hits.values()) == 1  # validated with exactly one signed call
    connection = BrokerConnection.objects.get(user=user)
    tokens = connection_open_tokens(connection=connection)
    assert (tokens.access, tokens.refresh) == (READ_ONLY_KEY, READ_ONLY_SECRET)
    assert Audit.objects.filter(user=user, action="broker_linked").count() == 1


@pytest.mark.parametrize(("key", "secret", "allowed"), [
    (TRADING_KEY, TRADING_SECRET, "spot & margin trading"),
    (WITHDRAW_KEY, WITHDRAW_SECRET, "withdrawals"),
])
def test_binance_key_that_can_trade_or_withdraw_is_refused(stub_exchange, api_client, key, secret, allowed):
    response = api_client.post("/api/brokers/binance/keys", {"apiKey": key, "apiSecret": secret}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "key_not_read_only"
    assert error["message"].startswith(f"This key is not read-only: it allows {allowed}.")
    assert secret not in response.content.decode()
    _nothing_linked()


def test_binance_wrong_secret_refused(stub_exchange, api_client):
    response = api_client.post("/api/brokers/binance/keys", {"apiKey": READ_ONLY_KEY, "apiSecret": "wrong-secret"},
                               format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_api_key"
    _nothing_linked()


def test_binance_malformed_input_refused_without_network(stub_exchange, api_client):
    response = api_client.post("/api/brokers/binance/keys", {"apiKey": "has spaces!", "apiSecret": ""}, format="json")
    assert response.status_code == 400
    assert sum(stub_exchange.state.hits.values()) == 0
    _nothing_linked()


@pytest.mark.parametrize("key", ["ªb", "key²", "kéy"])
def test_binance_key_with_letters_or_digits_outside_ascii_is_refused_without_network(stub_exchange, api_client, key):
    response = api_client.post("/api/brokers/binance/keys", {"apiKey": key, "apiSecret": "secret"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["apiKey"]
    assert sum(stub_exchange.state.hits.values()) == 0
    _nothing_linked()


def test_start_for_binance_is_refused(stub_exchange, api_client):
    response = api_client.post("/api/brokers/binance/connect/start")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_broker"
    assert OAuthState.objects.count() == 0


def test_disconnect_revokes_at_exchange_and_deletes_secrets(stub_exchange, api_client, user, coinbase_connection):
    tokens = connection_open_tokens(connection=coinbase_connection)
    response = api_client.post(f"/api/brokers/{coinbase_connection.id}/disconnect")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    stored = BrokerConnection.objects.get(id=coinbase_connection.id)
    assert bytes(stored.access_enc) == b"" and stored.refresh_enc is None
    assert not stub_exchange.state.access_token_valid(tokens.access)
    assert stub_exchange.state.refresh(tokens.refresh) is None
    assert Audit.objects.get(action="broker_unlinked").meta["revokedAtExchange"] is True


def test_pause_resume_by_broker_name(stub_exchange, api_client, coinbase_connection):
    assert api_client.post("/api/brokers/coinbase/pause").json()["status"] == "paused"
    with pytest.raises(ConnectionInactive):
        connection_adapter(connection=BrokerConnection.objects.get(id=coinbase_connection.id))
    assert api_client.post("/api/brokers/coinbase/resume").json()["status"] == "active"


@pytest.mark.parametrize("action", ["pause", "resume", "disconnect"])
def test_other_user_cannot_touch_a_connection(stub_exchange, other_api_client, coinbase_connection, action):
    before = BrokerConnection.objects.get(id=coinbase_connection.id)
    response = other_api_client.post(f"/api/brokers/{coinbase_connection.id}/{action}")
    assert response.status_code == 404
    after = BrokerConnection.objects.get(id=coinbase_connection.id)
    assert (after.status, bytes(after.access_enc)) == (before.status, bytes(before.access_enc))
    assert other_api_client.post(f"/api/brokers/coinbase/{action}").status_code == 404
    assert other_api_client.get("/api/brokers/connections").json() == {"results": [], "nextCursor": None}


def test_list_never_contains_secrets(stub_exchange, api_client, coinbase_connection, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = connection_open_tokens(connection=coinbase_connection)
    adapter = connection_adapter(connection=coinbase_connection)
    adapter.fetch_trades(since=stub_exchange.state.anchor - timedelta(days=2), until=stub_exchange.state.anchor)
    response = api_client.get("/api/brokers/connections")
    assert response.status_code == 200
    body = response.content.decode()
    results = response.json()["results"]
    assert len(results) == 1
    assert set(results[0]) == {"id", "broker", "status", "scope", "label", "expiresAt", "createdAt", "lastUsedAt"}
    for secret in (tokens.access, tokens.refresh):
        assert secret not in body
        assert secret not in caplog.text
    assert "Enc" not in body and "enc" not in set(results[0])


def test_binance_secret_never_logged(stub_exchange, binance_connection, caplog):
    caplog.set_level(logging.DEBUG)
    stub_exchange.state.fail_next(500, times=1, path_contains="/myTrades")
    adapter = connection_adapter(connection=binance_connection)
    adapter.fetch_trades(since=stub_exchange.state.anchor - timedelta(days=31), until=stub_exchange.state.anchor)
    assert "retry 1/" in caplog.text
    assert READ_ONLY_SECRET not in caplog.text
    assert READ_ONLY_KEY not in caplog.text


def test_error_reports_never_show_secrets(stub_exchange, user):
    import sys

    from django.views.debug import ExceptionReporter

    from apps.brokers.services import connection_link_binance

    try:
        connection_link_binance(user=user, api_key=TRADING_KEY, api_secret=TRADING_SECRET)
    except Exception:  # noqa: BLE001 - we want the report of whatever was raised
        report = ExceptionReporter(None, *sys.exc_info()).get_traceback_text()
    assert "connection_link_binance" in report
    assert TRADING_SECRET not in report and TRADING_KEY not in report


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_spend_the_refresh_token_once(stub_exchange, user):
    """Two workers find the token about to expire at the same time: one refreshes, the other re-reads."""
    import threading

    from django.db import connections

    from apps.brokers.services import connection_link_stub, connection_refresh_tokens

    connection = connection_link_stub(user=user)
    BrokerConnection.objects.filter(id=connection.id).update(expires_at=timezone.now() + timedelta(minutes=1))
    results, errors = [], []

    def worker():
        try:
            results.append(connection_refresh_tokens(connection_id=connection.id))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert stub_exchange.state.hits["POST /oauth2/token"] == 2  # the link + exactly one refresh
    stored = BrokerConnection.objects.get(id=connection.id)
    assert stored.expires_at > timezone.now() + timedelta(minutes=50)
    assert {connection_open_tokens(connection=r).access for r in results} == {
        connection_open_tokens(connection=stored).access}


def test_binance_disconnect_deletes_the_key(stub_exchange, api_client, binance_connection):
    response = api_client.post("/api/brokers/binance/disconnect")
    assert response.status_code == 200
    stored = BrokerConnection.objects.get(id=binance_connection.id)
    assert (stored.status, bytes(stored.access_enc), stored.refresh_enc) == ("revoked", b"", None)
    assert api_client.post("/api/brokers/binance/pause").status_code == 404  # nothing left to pause
