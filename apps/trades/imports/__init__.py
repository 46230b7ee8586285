"""Import jobs: one way from a request (broker API window or uploaded file) to stored trades.

    start.py      the request side: validate, decide the job id, open or resume the job (one transaction)
    lifecycle.py  the state machine: every transition of an ImportJob, each one transaction with its
                  `import.progress` event; the final state calls the `import finished` hooks
    sources.py    where pages of trades come from: the broker API or an upload's parsed rows, one interface
    runner.py     what the worker does with a job id: claim the lease, page through the source, finish

The worker's entry point is `apps.trades.tasks` (a task by name, dispatched through `apps.core.jobs`);
nothing imports it.
"""
from .lifecycle import import_job_release
from .runner import import_job_run
from .start import API_BROKERS, import_job_id, import_job_start, import_window, upload_import_start

__all__ = ["API_BROKERS", "import_job_id", "import_job_release", "import_job_run", "import_job_start",
           "import_window", "upload_import_start"]
