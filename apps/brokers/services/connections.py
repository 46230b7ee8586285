"""Connection lifecycle: OAuth / API-key linking, adapters with fresh tokens, pause, disconnect."""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from apps.accounts.services import audit_record
from apps.core.errors import Conflict, NotFound, ValidationFailed

from ..adapters.base import BrokerAdapter, TokenSet
from ..adapters.binance import BinanceAdapter
from ..adapters.coinbase import CoinbaseAdapter
from ..adapters.errors import BrokerAuthError, BrokerError
from ..models import BrokerConnection, OAuthState
from ..sealing import SealError
from ..stub import READ_ONLY_KEY, READ_ONLY_SECRET
from .keys import connection_open_tokens, connection_seal_tokens, secret_open, secret_seal

logger = logging.getLogger("apps.brokers")

OAUTH_BROKERS = {"coinbase"}
KEY_BROKERS = {"binance"}
ADAPTER_BROKERS = {"coinbase", "binance", "stub"}
STATE_TTL = timedelta(minutes=10)
REFRESH_MARGIN = timedelta(minutes=5)


INACTIVE_MESSAGES = {
    "paused": "The {broker} connection is paused. Resume it on the Connections page first.",
    "error": "The {broker} connection stopped working. Connect the account again.",
    "revoked": "The {broker} connection was disconnected. Connect the account again.",
}


class ConnectionInactive(Conflict):
    code = "connection_inactive"
    default_message = "This connection is paused or disconnected."


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _oauth_adapter(broker: str) -> CoinbaseAdapter:
    if broker not in OAUTH_BROKERS:
        raise ValidationFailed(f"{broker} does not connect through a sign-in redirect.", code="unsupported_broker",
                               fields={"broker": ["Not an OAuth broker."]})
    return CoinbaseAdapter()


# ---- OAuth -----------------------------------------------------------------------------------------
@sensitive_variables()
def connection_oauth_start(*, user, broker: str, session_key: str, redirect_uri: str) -> str:
    """Create a pending authorization bound to this browser session; -> the exchange's authorize URL."""
    if not session_key:
        raise ValidationFailed("A browser session is required to connect.", code="session_required")
    adapter = _oauth_adapter(broker)
    try:
        start = adapter.start_auth(redirect_uri=redirect_uri)
    finally:
        adapter.close()
    now = timezone.now()
    with transaction.atomic():
        OAuthState.objects.filter(user=user, expires_at__lt=now - timedelta(days=1)).delete()
        pending = OAuthState(user=user, broker=broker, state_hash=_hash(start.state), session_hash=_hash(session_key),
                             redirect_uri=redirect_uri, expires_at=now + STATE_TTL, verifier_enc=b"")
        pending.verifier_enc = secret_seal(user_id=user.id, record_id=pending.id, field_name="pkce_verifier",
                                           plaintext=start.extra["code_verifier"])
        pending.save(force_insert=True)
    return start.redirect_url


def _oauth_consume(*, user, broker: str, session_key: str, state: str) -> OAuthState:
    """Mark the pending authorization used (single use) or raise; an invalid state writes nothing."""
    invalid = ValidationFailed("This sign-in link is invalid, expired or already used. Start the connection again.",
                               code="invalid_state")
    if not state or not session_key:
        raise invalid
    now = timezone.now()
    matching = OAuthState.objects.filter(state_hash=_hash(state), user=user, broker=broker,
                                         session_hash=_hash(session_key), used_at__isnull=True, expires_at__gt=now)
    with transaction.atomic():
        if matching.update(used_at=now) != 1:
            raise invalid
    return OAuthState.objects.get(state_hash=_hash(state))


@sensitive_variables()
def connection_oauth_complete(*, user, broker: str, session_key: str, state: str, code: str,
                              error: str = "") -> BrokerConnection:
    """Callback: check state (session-bound, single use, 10 min), exchange the code with the PKCE verifier,
    seal the tokens and create/refresh the user's connection. Audit(broker_linked)."""
    pending = _oauth_consume(user=user, broker=broker, session_key=session_key, state=state)
    if error:
        raise ValidationFailed(f"{broker.title()} did not grant access ({error[:64]}).", code="oauth_denied")
    if not code:
        raise ValidationFailed("The authorization code is missing.", code="invalid_code")
    verifier = secret_open(user_id=user.id, record_id=pending.id, field_name="pkce_verifier",
                           blob=pending.verifier_enc)
    adapter = _oauth_adapter(broker)
    try:
        tokens = adapter.complete_auth(code=code, redirect_uri=pending.redirect_uri, code_verifier=verifier)
    except BrokerAuthError as exc:
        raise ValidationFailed(f"{broker.title()} refused the authorization: {exc.message}", code="oauth_failed") from exc
    finally:
        adapter.close()
    return _connection_store(user=user, broker=broker, access=tokens.access_token, refresh=tokens.refresh_token,
                             scope=tokens.scope, expires_at=tokens.expires_at)


@sensitive_variables()
@transaction.atomic
def _connection_store(*, user, broker: str, access: str, refresh: str | None, scope: str = "",
                      expires_at=None, label: str = "") -> BrokerConnection:
    connection = (BrokerConnection.objects.select_for_update()
                  .filter(user=user, broker=broker).exclude(status="revoked").order_by("-created_at").first())
    relinked = connection is not None
    if connection is None:
        connection = BrokerConnection(user=user, broker=broker)
    connection.status = "active"
    connection.scope = scope[:512]
    connection.expires_at = expires_at
    connection.label = label[:64]
    connection_seal_tokens(connection=connection, access=access, refresh=refresh, save=False)
    connection.save()
    audit_record(user=user, action="broker_linked",
                 meta={"broker": broker, "connectionId": connection.id, "relinked": relinked})
    return connection


# ---- API keys ----------------------------------------------------------------------------------------
@sensitive_variables()
def connection_link_binance(*, user, api_key: str, api_secret: str) -> BrokerConnection:
    """Validate a Binance key with one signed call, refuse keys that can trade or withdraw, seal it."""
    api_key, api_secret = (api_key or "").strip(), (api_secret or "").strip()
    fields = {}
    for name, value in (("apiKey", api_key), ("apiSecret", api_secret)):
        # ASCII letters and digits only: `isalnum` alone lets `ª` or `²` through, and the key goes into a header
        if not value or len(value) > 128 or not (value.isascii() and value.replace("-", "").replace("_", "").isalnum()):
            fields[name] = ["Paste the value exactly as Binance shows it."]
    if fields:
        raise ValidationFailed("The API key or secret is not in the expected form.", fields=fields)
    adapter = BinanceAdapter(api_key=api_key, api_secret=api_secret)
    try:
        permissions = adapter.key_permissions()
    except BrokerAuthError as exc:
        raise ValidationFailed("Binance did not accept this API key and secret. Check both and try again.",
                               code="invalid_api_key") from exc
    finally:
        adapter.close()
    forbidden = BinanceAdapter.forbidden_permissions(permissions)
    if forbidden:
        raise ValidationFailed(
            f"This key is not read-only: it allows {', '.join(forbidden)}. We only accept keys that can read. "
            "In Binance API Management edit the key, leave only 'Enable Reading' ticked, and add it again.",
            code="key_not_read_only", fields={"apiKey": [f"Key allows {', '.join(forbidden)}."]})
    if permissions.get("enableReading") is not True:
        raise ValidationFailed("This key cannot read account data. Enable 'Enable Reading' for it in Binance.",
                               code="key_cannot_read")
    return _connection_store(user=user, broker="binance", access=api_key, refresh=api_secret,
                             scope="read", label="Read-only API key")


# ---- lookup, pause, disconnect -----------------------------------------------------------------------
def _connection_for(*, user, ref: str, lock: bool = False) -> BrokerConnection:
    queryset = BrokerConnection.objects.filter(user=user)
    if lock:
        queryset = queryset.select_for_update()
    if ref in dict(BrokerConnection.BROKERS):
        connection = queryset.filter(broker=ref).exclude(status="revoked").order_by("-created_at").first()
    else:
        connection = queryset.filter(id=ref).first()
    if connection is None:
        raise NotFound("No such connection.")
    return connection


@transaction.atomic
def connection_pause(*, user, ref: str) -> BrokerConnection:
    connection = _connection_for(user=user, ref=ref, lock=True)
    if connection.status == "revoked":
        raise ConnectionInactive("This connection was disconnected; connect the account again.")
    if connection.status != "paused":
        connection.status = "paused"
        connection.save(update_fields=["status"])
        audit_record(user=user, action="broker_paused", meta={"broker": connection.broker, "connectionId": connection.id})
    return connection


@transaction.atomic
def connection_resume(*, user, ref: str) -> BrokerConnection:
    connection = _connection_for(user=user, ref=ref, lock=True)
    if connection.status == "revoked":
        raise ConnectionInactive("This connection was disconnected; connect the account again.")
    if connection.status == "paused":
        connection.status = "active"
        connection.save(update_fields=["status"])
        audit_record(user=user, action="broker_resumed", meta={"broker": connection.broker, "connectionId": connection.id})
    return connection


@sensitive_variables()
def connection_disconnect(*, user, ref: str) -> BrokerConnection:
    """Revoke at the exchange (best effort, outside any transaction), then hard-delete the sealed secrets."""
    connection = _connection_for(user=user, ref=ref)
    revoked_remotely = False
    if connection.broker in ("coinbase", "stub") and connection.access_enc:
        try:
            tokens = connection_open_tokens(connection=connection)
            adapter = CoinbaseAdapter()
            try:
                for token in (tokens.refresh, tokens.access):
                    if token:
                        adapter.revoke(token=token)
            finally:
                adapter.close()
            revoked_remotely = True
        except (BrokerError, SealError) as exc:
            logger.warning("could not revoke %s connection %s at the exchange: %s", connection.broker, connection.id,
                           type(exc).__name__)
    with transaction.atomic():
        connection = _connection_for(user=user, ref=connection.id, lock=True)
        connection.access_enc = b""
        connection.refresh_enc = None
        connection.expires_at = None
        connection.status = "revoked"
        connection.save(update_fields=["access_enc", "refresh_enc", "expires_at", "status"])
        audit_record(user=user, action="broker_unlinked",
                     meta={"broker": connection.broker, "connectionId": connection.id,
                           "revokedAtExchange": revoked_remotely})
    return connection


# ---- adapters with fresh credentials -----------------------------------------------------------------
@sensitive_variables()
def connection_refresh_tokens(*, connection_id: str, force: bool = False) -> BrokerConnection:
    """Refresh a Coinbase access token. Refresh tokens are single use, so the new refresh token is stored
    in the same write as the new access token, and a cache lock keeps two workers from spending the same
    refresh token (the loser re-reads the already refreshed row)."""
    lock_key = f"brokers:refresh-lock:{connection_id}"
    owner = secrets.token_hex(8)
    deadline = time.monotonic() + 15
    while not cache.add(lock_key, owner, timeout=30):
        if time.monotonic() > deadline:
            raise BrokerError("Another refresh of this connection is taking too long; try again.")
        time.sleep(0.05)
    try:
        connection = BrokerConnection.objects.get(id=connection_id)
        if connection.status != "active":
            raise ConnectionInactive()
        fresh = connection.expires_at and connection.expires_at - timezone.now() > REFRESH_MARGIN
        if fresh and not force:
            return connection
        current = connection_open_tokens(connection=connection)
        if not current.refresh:
            raise BrokerAuthError("Coinbase did not give this connection a refresh token. Reconnect the account.")
        adapter = CoinbaseAdapter()
        try:
            tokens: TokenSet = adapter.refresh_tokens(refresh_token=current.refresh)
        except BrokerAuthError:
            BrokerConnection.objects.filter(id=connection_id, status="active").update(status="error")
            raise BrokerAuthError("Coinbase no longer accepts this connection. Connect the account again.") from None
        finally:
            adapter.close()
        with transaction.atomic():
            connection = BrokerConnection.objects.select_for_update().get(id=connection_id)
            connection_seal_tokens(connection=connection, access=tokens.access_token,
                                   refresh=tokens.refresh_token or current.refresh, save=False)
            connection.expires_at = tokens.expires_at
            if tokens.scope:
                connection.scope = tokens.scope[:512]
            connection.save(update_fields=["access_enc", "refresh_enc", "expires_at", "scope"])
        return connection
    finally:
        if cache.get(lock_key) == owner:
            cache.delete(lock_key)


@sensitive_variables()
def connection_adapter(*, connection: BrokerConnection) -> BrokerAdapter:
    """A ready adapter for an active connection: secrets opened in memory only, Coinbase tokens refreshed
    when they expire within 5 minutes (and once more on a 401). Raises ConnectionInactive (409) for paused
    or disconnected connections, BrokerAuthError when the stored credentials are unusable."""
    if connection.broker not in ADAPTER_BROKERS:
        raise ValidationFailed(f"{connection.broker} connections have no exchange adapter.", code="unsupported_broker")
    if connection.status != "active":
        raise ConnectionInactive(INACTIVE_MESSAGES.get(connection.status, ConnectionInactive.default_message)
                                 .format(broker=connection.get_broker_display()))
    if connection.broker in ("coinbase", "stub"):
        if connection.expires_at and connection.expires_at - timezone.now() <= REFRESH_MARGIN:
            connection = connection_refresh_tokens(connection_id=connection.id)
    try:
        tokens = connection_open_tokens(connection=connection)
    except SealError as exc:
        logger.error("sealed credentials of connection %s cannot be opened: %s", connection.id, exc)
        raise BrokerAuthError("The stored credentials cannot be read. Connect the account again.") from None
    BrokerConnection.objects.filter(id=connection.id).update(last_used_at=timezone.now())
    if connection.broker == "binance":
        return BinanceAdapter(api_key=tokens.access, api_secret=tokens.refresh)
    connection_id = connection.id

    def refresh_after_401() -> str:
        refreshed = connection_refresh_tokens(connection_id=connection_id, force=True)
        return connection_open_tokens(connection=refreshed).access

    return CoinbaseAdapter(access_token=tokens.access, on_unauthorized=refresh_after_401)


@sensitive_variables()
def connection_link_stub(*, user, broker: str = "coinbase") -> BrokerConnection:
    """Link `user` to the configured exchange endpoints (the stub in the embedded default) through the real
    flows: Coinbase authorize → code → token exchange with PKCE; Binance with the stub's read-only key.
    Used by demo seeding and tests; idempotent (re-links the existing connection)."""
    if broker == "binance":
        return connection_link_binance(user=user, api_key=READ_ONLY_KEY, api_secret=READ_ONLY_SECRET)
    adapter = CoinbaseAdapter()
    redirect_uri = "http://127.0.0.1/api/brokers/coinbase/connect/callback"
    try:
        start = adapter.start_auth(redirect_uri=redirect_uri)
        response = httpx.get(start.redirect_url, follow_redirects=False, timeout=10)
        query = parse_qs(urlsplit(response.headers.get("Location", "")).query)
        if response.status_code != 302 or query.get("state", [""])[0] != start.state or "code" not in query:
            raise BrokerError("The exchange did not approve the demo authorization.")
        tokens = adapter.complete_auth(code=query["code"][0], redirect_uri=redirect_uri,
                                       code_verifier=start.extra["code_verifier"])
    finally:
        adapter.close()
    return _connection_store(user=user, broker=broker, access=tokens.access_token, refresh=tokens.refresh_token,
                             scope=tokens.scope, expires_at=tokens.expires_at)
