"""Envelope encryption: round trip, tamper, wrong AAD, unknown keys, rotation."""
from __future__ import annotations

import base64
import io
import os

import pytest
from django.core.management import call_command

from apps.brokers.models import BrokerConnection, DataKey
from apps.brokers.sealing import SealError, keyring
from apps.brokers.services import connection_open_tokens, connection_seal_tokens, data_keys_rotate
from apps.brokers.testing import BrokerConnectionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ACCESS = "access-token-Zq9-plaintext"
REFRESH = "refresh-token-Kx2-plaintext"


def _kek(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


@pytest.fixture
def connection(user) -> BrokerConnection:
    connection = BrokerConnection(user=user, broker="coinbase")
    connection_seal_tokens(connection=connection, access=ACCESS, refresh=REFRESH)
    connection.save()
    return connection


def _reload(connection) -> BrokerConnection:
    return BrokerConnection.objects.get(id=connection.id)


def test_round_trip(connection):
    stored = _reload(connection)
    assert ACCESS.encode() not in bytes(stored.access_enc)
    assert REFRESH.encode() not in bytes(stored.refresh_enc)
    tokens = connection_open_tokens(connection=stored)
    assert (tokens.access, tokens.refresh) == (ACCESS, REFRESH)
    assert ACCESS not in repr(tokens) and REFRESH not in repr(tokens)


def test_same_plaintext_seals_differently_each_time(user):
    first = BrokerConnectionFactory(user=user, sealed="same")
    second = BrokerConnectionFactory(user=user, sealed="same")
    assert bytes(first.access_enc) != bytes(second.access_enc)
    assert DataKey.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("position", [0, 1, 2, 5, 20, -1, -17])
def test_any_tampered_byte_raises(connection, position):
    blob = bytearray(bytes(_reload(connection).access_enc))
    blob[position] ^= 0x01
    connection.access_enc = bytes(blob)
    with pytest.raises(SealError):
        connection_open_tokens(connection=connection)


def test_truncated_bytes_raise(connection):
    connection.access_enc = bytes(_reload(connection).access_enc)[:20]
    with pytest.raises(SealError):
        connection_open_tokens(connection=connection)


def test_ciphertext_moved_to_another_connection_raises(connection, user):
    other = BrokerConnectionFactory(user=user)
    other.access_enc = bytes(_reload(connection).access_enc)
    with pytest.raises(SealError):
        connection_open_tokens(connection=other)


def test_access_and_refresh_cannot_be_swapped(connection):
    stored = _reload(connection)
    stored.access_enc, stored.refresh_enc = stored.refresh_enc, stored.access_enc
    with pytest.raises(SealError):
        connection_open_tokens(connection=stored)


def test_ciphertext_moved_to_another_user_raises(connection, other_user):
    foreign = BrokerConnectionFactory(user=other_user)
    foreign.id = connection.id  # same connection id, other user: the AAD still differs
    foreign.access_enc = bytes(_reload(connection).access_enc)
    with pytest.raises(SealError):
        connection_open_tokens(connection=foreign)


def test_unknown_kek_id_raises(connection, settings):
    settings.TOKEN_KEKS = [_kek("brand-new")]
    with pytest.raises(SealError, match="Unknown key-encryption key id 'test1'"):
        connection_open_tokens(connection=_reload(connection))


def test_unknown_data_key_id_raises(connection):
    DataKey.objects.filter(user=connection.user).delete()
    with pytest.raises(SealError, match="Unknown data key id"):
        connection_open_tokens(connection=_reload(connection))


@pytest.mark.parametrize("entries", [[], ["no-colon"], ["k:not base64!"], ["k:" + base64.b64encode(b"short").decode()]])
def test_malformed_keyring_raises(settings, entries):
    settings.TOKEN_KEKS = entries
    with pytest.raises(SealError):
        keyring()


def test_rotation_rewraps_data_keys_and_leaves_tokens_untouched(connection, other_user, settings):
    other = BrokerConnectionFactory(user=other_user, sealed="other-secret")
    before = {c.id: (bytes(c.access_enc), bytes(c.refresh_enc)) for c in BrokerConnection.objects.all()}
    wrapped_before = {k.id: bytes(k.wrapped) for k in DataKey.objects.all()}
    old = list(settings.TOKEN_KEKS)
    settings.TOKEN_KEKS = [*old, _kek("k2026")]

    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    assert out.getvalue() == "Re-wrapped 2 data key(s) under key 'k2026'.\n"

    keys = list(DataKey.objects.all())
    assert len(keys) == 2
    assert {k.kek_id for k in keys} == {"k2026"}
    assert all(bytes(k.wrapped) != wrapped_before[k.id] and k.rotated_at is not None for k in keys)
    after = {c.id: (bytes(c.access_enc), bytes(c.refresh_enc)) for c in BrokerConnection.objects.all()}
    assert after == before
    settings.TOKEN_KEKS = [settings.TOKEN_KEKS[-1]]  # the old KEK retired
    assert connection_open_tokens(connection=_reload(connection)).access == ACCESS
    assert connection_open_tokens(connection=_reload(other)).access == "other-secret"
    assert data_keys_rotate() == 0  # idempotent
