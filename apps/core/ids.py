"""Opaque, collision-resistant identifiers: cuid2 for entities, ULID for outbox events."""
import os

from cuid2 import Cuid
from ulid import ULID

_CUID = Cuid(length=25)


def new_id() -> str:
    return _CUID.generate()


def new_ulid() -> str:
    return str(ULID())


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_BASE32 = _LETTERS + "234567"
_AS_LETTER = bytes(ord(_LETTERS[byte % 26]) for byte in range(256))
_AS_BASE32 = bytes(ord(_BASE32[byte % 32]) for byte in range(256))  # the low 5 bits of a byte, uniformly


def new_ids(count: int) -> list[str]:
    """`count` opaque ids shaped like cuid2 (a letter, then 24 characters carrying 120 random bits).

    For bulk writes: cuid2 costs ~0.1 ms an id, which would dominate inserting thousands of rows; this
    draws the randomness once and maps it to characters with `bytes.translate` (no per-character Python)."""
    if count <= 0:
        return []
    data = bytearray(os.urandom(25 * count))
    heads = data[0::25].translate(_AS_LETTER)
    data = data.translate(_AS_BASE32)
    data[0::25] = heads
    text = data.decode("ascii")
    return [text[start:start + 25] for start in range(0, 25 * count, 25)]
