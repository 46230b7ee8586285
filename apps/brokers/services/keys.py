"""Sealing services: per-user data keys, sealing/opening connection secrets, key rotation."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ..models import BrokerConnection, DataKey
from ..sealing import (
    SealError,
    dek_generate,
    dek_unwrap,
    dek_wrap,
    newest_kek,
    open_bytes,
    seal_bytes,
    sealed_key_id,
    secret_aad,
)


@dataclass(frozen=True)
class ConnectionSecrets:
    """Plaintext secrets of one connection, for in-memory use only (repr never shows them).

    Coinbase: ``access`` = OAuth access token, ``refresh`` = refresh token.
    Binance:  ``access`` = API key, ``refresh`` = API secret.
    """

    access: str = field(repr=False)
    refresh: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return "ConnectionSecrets(<sealed>)"


@sensitive_variables()
def data_key_get_or_create(*, user_id: str) -> tuple[str, bytes]:
    """-> (data key id, plaintext DEK). Creates the user's DEK on first use."""
    key = DataKey.objects.filter(user_id=user_id).first()
    if key is None:
        dek = dek_generate()
        key = DataKey(user_id=user_id, kek_id="", wrapped=b"")
        key.kek_id, key.wrapped = dek_wrap(dek=dek, dek_id=key.id, user_id=str(user_id))
        try:
            with transaction.atomic():
                key.save(force_insert=True)
            return key.id, dek
        except IntegrityError:
            key = DataKey.objects.get(user_id=user_id)
    return key.id, dek_unwrap(wrapped=bytes(key.wrapped), dek_id=key.id, user_id=str(user_id))


def _data_key_for_blob(*, user_id: str, blob: bytes) -> bytes:
    dek_id = sealed_key_id(blob)
    key = DataKey.objects.filter(id=dek_id, user_id=user_id).first()
    if key is None:
        raise SealError(f"Unknown data key id {dek_id!r} for this user.")
    return dek_unwrap(wrapped=bytes(key.wrapped), dek_id=key.id, user_id=str(user_id))


@sensitive_variables()
def secret_seal(*, user_id: str, record_id: str, field_name: str, plaintext: str) -> bytes:
    dek_id, dek = data_key_get_or_create(user_id=user_id)
    aad = secret_aad(record_id=record_id, user_id=str(user_id), field=field_name)
    return seal_bytes(dek=dek, dek_id=dek_id, plaintext=plaintext.encode(), aad=aad)


@sensitive_variables()
def secret_open(*, user_id: str, record_id: str, field_name: str, blob: bytes) -> str:
    blob = bytes(blob or b"")
    dek = _data_key_for_blob(user_id=user_id, blob=blob)
    aad = secret_aad(record_id=record_id, user_id=str(user_id), field=field_name)
    try:
        return open_bytes(dek=dek, blob=blob, aad=aad).decode()
    except UnicodeDecodeError as exc:  # authenticated but not text: never hand back garbage
        raise SealError("Sealed value is not text.") from exc


@sensitive_variables()
def connection_seal_tokens(*, connection: BrokerConnection, access: str, refresh: str | None = None,
                           save: bool = True) -> BrokerConnection:
    """Seal `access` (and `refresh`) into the connection. Saves the two fields unless `save=False`
    or the connection is not in the database yet (the caller saves it)."""
    connection.access_enc = secret_seal(user_id=connection.user_id, record_id=connection.id,
                                        field_name="access", plaintext=access)
    connection.refresh_enc = (
        secret_seal(user_id=connection.user_id, record_id=connection.id, field_name="refresh", plaintext=refresh)
        if refresh is not None else None
    )
    if save and not connection._state.adding:
        connection.save(update_fields=["access_enc", "refresh_enc"])
    return connection


@sensitive_variables()
def connection_open_tokens(*, connection: BrokerConnection) -> ConnectionSecrets:
    """Open the connection's secrets in memory; raises SealError when they cannot be opened."""
    if not connection.access_enc:
        raise SealError("This connection holds no secrets (it was disconnected).")
    access = secret_open(user_id=connection.user_id, record_id=connection.id, field_name="access",
                         blob=connection.access_enc)
    refresh = None
    if connection.refresh_enc:
        refresh = secret_open(user_id=connection.user_id, record_id=connection.id, field_name="refresh",
                              blob=connection.refresh_enc)
    return ConnectionSecrets(access=access, refresh=refresh)


@sensitive_variables()
def data_keys_rotate() -> int:
    """Re-wrap every data key not yet under the newest KEK. Sealed secrets are not touched.

    Returns how many keys were re-wrapped. Safe to re-run (already-rotated keys are skipped)."""
    kek = newest_kek()
    rotated = 0
    for key_id in DataKey.objects.exclude(kek_id=kek.key_id).values_list("id", flat=True).iterator():
        with transaction.atomic():
            key = DataKey.objects.select_for_update().get(id=key_id)
            if key.kek_id == kek.key_id:
                continue
            dek = dek_unwrap(wrapped=bytes(key.wrapped), dek_id=key.id, user_id=str(key.user_id))
            key.kek_id, key.wrapped = dek_wrap(dek=dek, dek_id=key.id, user_id=str(key.user_id), kek=kek)
            key.rotated_at = timezone.now()
            key.save(update_fields=["kek_id", "wrapped", "rotated_at"])
            rotated += 1
    return rotated
