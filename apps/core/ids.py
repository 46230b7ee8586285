"""Opaque, collision-resistant identifiers: cuid2 for entities, ULID for outbox events."""
import base64
import os

from cuid2 import Cuid
from ulid import ULID

_CUID = Cuid(length=25)


def new_id() -> str:
    return _CUID.generate()


def new_ulid() -> str:
    return str(ULID())


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def new_ids(count: int) -> list[str]:
    """`count` opaque ids shaped like cuid2 (a letter, then 24 characters carrying 120 random bits).

    For bulk writes: cuid2 costs ~0.1 ms an id, which would dominate inserting thousands of rows; this
    draws the randomness once."""
    body = base64.b32encode(os.urandom(15 * count)).decode("ascii").lower()
    heads = os.urandom(count)
    return [_LETTERS[heads[i] % 26] + body[24 * i:24 * i + 24] for i in range(count)]
