"""Trade writes: idempotent bulk upsert, column mappings, idempotent requests. Import jobs: `..imports`."""
from .idempotency import (
    idempotency_digest,
    idempotency_purge_expired,
    idempotency_remember,
    idempotency_replay,
    idempotent_call,
)
from .mappings import MAPPING_FIELDS, column_mapping_from_dict, column_mapping_save
from .upsert import UpsertResult, trade_raw_attach, trade_upsert_many

__all__ = [
    "MAPPING_FIELDS",
    "UpsertResult",
    "column_mapping_from_dict",
    "column_mapping_save",
    "idempotency_digest",
    "idempotency_purge_expired",
    "idempotency_remember",
    "idempotency_replay",
    "idempotent_call",
    "trade_raw_attach",
    "trade_upsert_many",
]
