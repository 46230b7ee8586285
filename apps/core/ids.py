"""Opaque, collision-resistant identifiers: cuid2 for entities, ULID for outbox events."""
from cuid2 import Cuid
from ulid import ULID

_CUID = Cuid(length=25)


def new_id() -> str:
    return _CUID.generate()


def new_ulid() -> str:
    return str(ULID())
