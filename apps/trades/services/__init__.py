"""Trade writes: idempotent bulk upsert, import jobs (broker API and file upload), column mappings."""
from .idempotency import (
    idempotency_digest,
    idempotency_purge_expired,
    idempotency_remember,
    idempotency_replay,
    idempotent_call,
)
from .imports import (
    API_BROKERS,
    import_job_commit_page,
    import_job_fail,
    import_job_id,
    import_job_release,
    import_job_run,
    import_job_start,
    import_window,
    trade_scoring_enqueue,
)
from .mappings import MAPPING_FIELDS, column_mapping_from_dict, column_mapping_save
from .uploads import upload_import_start
from .upsert import UpsertResult, trade_upsert_many

__all__ = [
    "API_BROKERS",
    "MAPPING_FIELDS",
    "UpsertResult",
    "column_mapping_from_dict",
    "idempotency_digest",
    "idempotency_purge_expired",
    "idempotency_remember",
    "idempotency_replay",
    "idempotent_call",
    "column_mapping_save",
    "import_job_commit_page",
    "import_job_fail",
    "import_job_id",
    "import_job_release",
    "import_job_run",
    "import_job_start",
    "import_window",
    "trade_scoring_enqueue",
    "trade_upsert_many",
    "upload_import_start",
]
