"""Envelope encryption for broker tokens and API secrets (AES-256-GCM).

Layout
------
* Each user has one random 256-bit data key (DEK), stored only *wrapped* (encrypted) by a
  key-encryption key (KEK) from ``settings.TOKEN_KEKS`` — a list of ``"key id:base64(32 bytes)"``,
  the last entry being the newest. A KMS can replace the KEK list without changing the token format.
* Wrapped DEK bytes: ``b"W" | version | len(kek id) | kek id | nonce(12) | AESGCM(kek).encrypt(dek)``
  with AAD ``twin.dek|<dek id>|<user id>``.
* Sealed secret bytes: ``b"S" | version | len(dek id) | dek id | nonce(12) | AESGCM(dek).encrypt(secret)``
  with AAD binding the ciphertext to the connection id, the user id and the field (e.g. ``access``).

Opening tampered bytes, bytes under a different AAD, or bytes naming an unknown key raises
:class:`SealError`; it never returns garbage (GCM authenticates every byte, including the header,
which is part of the AAD).

Rotation re-wraps DEKs under the newest KEK; sealed secrets are untouched because the DEK is unchanged.
"""
from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

SEALED_MAGIC = b"S"
WRAPPED_MAGIC = b"W"
FORMAT_VERSION = 1
NONCE_BYTES = 12


class SealError(Exception):
    """Sealed bytes could not be opened (tampered, wrong AAD, unknown key) or a key is misconfigured."""


@dataclass(frozen=True)
class Kek:
    key_id: str
    key: bytes = b""

    def __repr__(self) -> str:  # never print key material
        return f"Kek({self.key_id!r})"


def keyring() -> list[Kek]:
    """The configured KEKs, oldest first; raises SealError on a malformed entry."""
    entries = settings.TOKEN_KEKS
    if isinstance(entries, str):
        entries = [part for part in entries.split(",") if part.strip()]
    keks: list[Kek] = []
    for entry in entries:
        key_id, sep, encoded = str(entry).strip().partition(":")
        if not sep or not key_id:
            raise SealError("A TOKEN_KEKS entry must look like 'key-id:base64-key'.")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SealError(f"TOKEN_KEKS entry {key_id!r} is not valid base64.") from exc
        if len(key) != 32:
            raise SealError(f"TOKEN_KEKS entry {key_id!r} must decode to 32 bytes, got {len(key)}.")
        if len(key_id.encode()) > 255:
            raise SealError("A TOKEN_KEKS key id is too long.")
        keks.append(Kek(key_id=key_id, key=key))
    if not keks:
        raise SealError("TOKEN_KEKS is empty; at least one key-encryption key is required.")
    return keks


def newest_kek() -> Kek:
    return keyring()[-1]


def kek_by_id(key_id: str) -> Kek:
    for kek in keyring():
        if kek.key_id == key_id:
            return kek
    raise SealError(f"Unknown key-encryption key id {key_id!r}.")


def _header(magic: bytes, key_id: str) -> bytes:
    encoded = key_id.encode()
    if len(encoded) > 255:
        raise SealError("Key id too long.")
    return magic + bytes([FORMAT_VERSION, len(encoded)]) + encoded


def _split(blob: bytes, magic: bytes) -> tuple[bytes, str, bytes, bytes]:
    """-> (header, key id, nonce, ciphertext) or SealError."""
    blob = bytes(blob or b"")
    if len(blob) < 3 or blob[:1] != magic:
        raise SealError("Not sealed data of the expected kind.")
    if blob[1] != FORMAT_VERSION:
        raise SealError(f"Unsupported sealed format version {blob[1]}.")
    id_len = blob[2]
    header_end = 3 + id_len
    if len(blob) < header_end + NONCE_BYTES + 16:
        raise SealError("Sealed data is truncated.")
    try:
        key_id = blob[3:header_end].decode()
    except UnicodeDecodeError as exc:
        raise SealError("Sealed data has a corrupt key id.") from exc
    nonce = blob[header_end:header_end + NONCE_BYTES]
    return blob[:header_end], key_id, nonce, blob[header_end + NONCE_BYTES:]


def _encrypt(key: bytes, header: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + aad)


def _decrypt(key: bytes, header: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, header + aad)
    except InvalidTag as exc:
        raise SealError("Sealed data failed authentication (tampered, or bound to another record).") from exc


def dek_aad(*, dek_id: str, user_id: str) -> bytes:
    return f"twin.dek|{dek_id}|{user_id}".encode()


def dek_generate() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def dek_wrap(*, dek: bytes, dek_id: str, user_id: str, kek: Kek | None = None) -> tuple[str, bytes]:
    """-> (kek id, wrapped bytes)."""
    kek = kek or newest_kek()
    return kek.key_id, _encrypt(kek.key, _header(WRAPPED_MAGIC, kek.key_id), dek,
                                dek_aad(dek_id=dek_id, user_id=user_id))


def dek_unwrap(*, wrapped: bytes, dek_id: str, user_id: str) -> bytes:
    header, kek_id, nonce, ciphertext = _split(wrapped, WRAPPED_MAGIC)
    kek = kek_by_id(kek_id)
    return _decrypt(kek.key, header, nonce, ciphertext, dek_aad(dek_id=dek_id, user_id=user_id))


def sealed_key_id(blob: bytes) -> str:
    """The DEK id a sealed value names (header only; not authenticated until opened)."""
    return _split(blob, SEALED_MAGIC)[1]


def seal_bytes(*, dek: bytes, dek_id: str, plaintext: bytes, aad: bytes) -> bytes:
    return _encrypt(dek, _header(SEALED_MAGIC, dek_id), plaintext, aad)


def open_bytes(*, dek: bytes, blob: bytes, aad: bytes) -> bytes:
    header, _dek_id, nonce, ciphertext = _split(blob, SEALED_MAGIC)
    return _decrypt(dek, header, nonce, ciphertext, aad)


def secret_aad(*, record_id: str, user_id: str, field: str) -> bytes:
    return f"twin.secret|{record_id}|{user_id}|{field}".encode()
