"""Import from the stub exchange to stored rows: wall time for 1,000 and 10,000 trades.

    .venv/bin/python -m benchmarks.import_e2e [--sizes 1000,10000] [--pg-url postgres://postgres@127.0.0.1:5432]

A dedicated database (`twin_bench_imp`, created and dropped here), the stub exchange on loopback with no
latency (Coinbase wire format, 500 fills a page), a user linked through the stub's OAuth flow. Per size:

  import_s     import_job_start → import_job_run until the job is done: every page fetched over HTTP,
               normalised, upserted and committed with its progress event (one transaction a page)
  fetch_only_s baseline in the same run: the same pages through the same adapter, nothing stored
  reimport_s   the same window again as a new job (every fill a duplicate)

The scoring hand-off is enqueued to an in-memory broker and not run here (scoring has its own benchmark;
the full tagged-and-pushed path is benchmarks.e2e_import_score). Goals for the whole path: 1,000 trades
≤ 2 s, 10,000 ≤ 15 s. Prints one JSON document.
"""
from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

from benchmarks.common import database_create, database_drop, machine_info, print_json

DB_NAME = "twin_bench_imp"
GOALS_S = {1000: 2.0, 10000: 15.0}


def run_size(size: int, stub) -> dict:
    from apps.accounts.models import User
    from apps.brokers.services import connection_adapter, connection_link_stub
    from apps.trades.imports import import_job_run, import_job_start
    from apps.trades.models import ImportJob, Trade

    stub.state.set_trade_count(size)
    expected = stub.state.expected_fill_count("coinbase")  # builds the stub's data before timing
    user = User.objects.create_user(f"bench-e2e-{size}@example.com", None)
    connection = connection_link_stub(user=user, broker="coinbase")
    since = stub.state.anchor - timedelta(days=30)

    adapter = connection_adapter(connection=connection)
    started = time.perf_counter()
    cursor, fetched = None, 0
    while True:
        page = adapter.fetch_trades(since=since, until=stub.state.anchor + timedelta(hours=1), cursor=cursor)
        fetched += len(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    fetch_only_s = time.perf_counter() - started

    started = time.perf_counter()
    job = import_job_start(user=user, broker="coinbase", since=since, enqueue=False)
    job = import_job_run(job_id=job.id)
    import_s = time.perf_counter() - started
    stored = Trade.objects.filter(user=user).count()

    started = time.perf_counter()
    again = import_job_start(user=user, broker="coinbase", since=since - timedelta(days=1), enqueue=False)
    again = import_job_run(job_id=again.id)
    reimport_s = time.perf_counter() - started
    assert job.status == again.status == "done", (job.status, job.error, again.status, again.error)
    assert stored == expected == fetched == job.inserted, (stored, expected, fetched, job.inserted)
    assert (again.inserted, again.duplicates) == (0, expected)
    assert ImportJob.objects.filter(user=user).count() == 2
    return {
        "trades": size, "pages": job.pages, "stored": stored,
        "import_s": round(import_s, 3), "trades_per_s": round(stored / import_s, 1),
        "fetch_only_s": round(fetch_only_s, 3), "store_overhead_s": round(import_s - fetch_only_s, 3),
        "reimport_s": round(reimport_s, 3),
        "goal_s": GOALS_S.get(size), "within_goal": import_s <= GOALS_S[size] if size in GOALS_S else None,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db-name", default=DB_NAME)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    database_create(args.pg_url, args.db_name)
    stub = None
    try:
        from apps.brokers.stub import StubExchange, StubState

        stub = StubExchange(state=StubState()).start()
        os.environ.update({"DJANGO_SETTINGS_MODULE": "twin.settings.base", "LOG_LEVEL": "WARNING",
                           "DATABASE_URL": f"{args.pg_url}/{args.db_name}", "REDIS_URL": "",
                           "CELERY_BROKER_URL": "memory://localhost/", "CELERY_TASK_ALWAYS_EAGER": "0",
                           "STUB_EXCHANGE_EMBEDDED": "0",
                           **{name: str(value) for name, value in stub.settings_overrides().items()}})
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        results = [run_size(size, stub) for size in sizes]
    finally:
        if stub is not None:
            stub.stop()
        database_drop(args.pg_url, args.db_name)
    report = {"benchmark": "import_e2e", "machine": machine_info(),
              "mode": "in-process import service, PostgreSQL, stub exchange on loopback (no latency)",
              "results": results}
    print_json(report)
    return report


if __name__ == "__main__":
    main()
