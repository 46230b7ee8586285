"""Upsert throughput into PostgreSQL, against raw COPY of the same rows and naive per-row update_or_create.

    .venv/bin/python -m benchmarks.import_throughput [--rows 50000] [--page 1000] [--rounds 3]
                                                     [--naive-sample 3000] [--pg-url postgres://postgres@127.0.0.1:5432]

A dedicated database (`twin_bench_imp`, created and dropped here) holds the migrated schema. The input is
N Coinbase fills in the exchange's wire format (decimal strings, RFC 3339 times), normalised to TradeDTOs by
the adapter (`normalise`, timed on its own). Both contenders start from those DTOs:

  ours     `trade_upsert_many` in pages of `--page`, one transaction per page as the import worker commits
           them (`import_page_transaction`: every page but the last commits without waiting for the WAL
           flush; the last one waits, which makes them all durable), into an empty trades table: per page a
           probe of a few ext_ids, then COPY inside a savepoint (INSERT … ON CONFLICT DO NOTHING RETURNING id
           when the probe or the COPY meets a stored row)
  copy     the same rows `COPY`ed in one transaction into an empty, identical table (same columns, unique
           constraint, indexes and user foreign key: LIKE trades_trade INCLUDING ALL + the FK) — the ceiling;
           its one commit waits for the flush, as ours' last does: both end with every row durable
  rerun    ours again over the same rows (every row a duplicate: what a re-import costs; the probe sends
           each page to INSERT … ON CONFLICT)
  naive    `Trade.objects.update_or_create` row by row for a sample, extrapolated to rows/s

Figures are medians over the rounds. Each round measures copy, ours and rerun back to back (copy first in even rounds, last in odd ones, so neither
always runs on a freshly written disk); the ratios are the medians of the rounds' own ratios. Besides wall
time, each run's CPU time is given: this process's and, when PostgreSQL runs on this machine, the server
process's (from /proc) — on a shared machine their sum moves far less than wall time.

Goal: ours ≥ 0.8 × copy (rows/s). `goal.met` judges the wall-time ratio (`ratios.ours_vs_copy`), `goal.met_on_cpu`
the CPU one (`ratios.ours_vs_copy_cpu`, client + server; the figure to trust on a shared machine, None without
the server's). Prints one JSON document.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks.common import machine_info, print_json

DB_NAME = "twin_bench_imp"
GOAL = 0.8
PRODUCTS = [("BTC-USD", 60000), ("ETH-USD", 3000), ("SOL-USD", 150), ("ADA-EUR", 0.5), ("DOGE-USDC", 0.12)]


def wire_fills(count: int, *, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    fills = []
    for index in range(count):
        product, level = PRODUCTS[index % len(PRODUCTS)]
        price = Decimal(str(round(level * (0.9 + rng.random() * 0.2), 6)))
        size = Decimal(str(round(rng.lognormvariate(0, 1), 8)))
        when = start + timedelta(seconds=index * 37, microseconds=rng.randint(0, 999_999))
        fills.append({
            "entry_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "trade_id": str(index),
            "order_id": str(index // 3), "trade_time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "trade_type": "FILL",
            "price": str(price), "size": str(size), "commission": str((price * size * Decimal("0.006")).quantize(
                Decimal("0.00000001"))), "product_id": product, "sequence_timestamp": when.isoformat(),
            "liquidity_indicator": "TAKER", "size_in_quote": False, "user_id": "bench", "side":
                "BUY" if rng.random() < 0.5 else "SELL",
        })
    return fills


def server_cpu() -> float | None:
    """CPU seconds (user + system) used so far by the PostgreSQL process serving Django's connection; None when
    it is not a process of this machine that we may read."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        if not Path(f"/proc/{pid}/comm").read_text().startswith("postgres"):
            return None
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(work: Callable[[], object]) -> tuple[object, dict]:
    """Run `work`; its result and its wall seconds, this process's CPU seconds and the server's (or None)."""
    server_before = server_cpu()
    cpu_before, started = time.process_time(), time.perf_counter()
    result = work()
    seconds, client = time.perf_counter() - started, time.process_time() - cpu_before
    server_after = server_cpu()
    server = None if server_before is None or server_after is None else server_after - server_before
    return result, {"seconds": round(seconds, 3), "client_cpu_s": round(client, 3),
                    "server_cpu_s": None if server is None else round(server, 3)}


def normalise(fills: list[dict], page: int) -> list[list]:
    from apps.brokers.adapters.coinbase import fill_to_dto

    return [[fill_to_dto(raw) for raw in fills[offset:offset + page]] for offset in range(0, len(fills), page)]


def run_ours(user, pages: list[list]) -> tuple[dict, int, int]:
    from apps.trades.imports.lifecycle import import_page_transaction
    from apps.trades.services import trade_upsert_many

    def upsert_pages() -> tuple[int, int]:
        inserted = duplicates = 0
        for index, items in enumerate(pages):
            with import_page_transaction(final=index == len(pages) - 1):
                result = trade_upsert_many(user=user, broker="coinbase", items=items)
            inserted += len(result.inserted_ids)
            duplicates += result.duplicates
        return inserted, duplicates

    (inserted, duplicates), timing = measured(upsert_pages)
    return timing, inserted, duplicates


def run_copy(user, pages: list[list]) -> dict:
    from django.db import connection, transaction

    from apps.core.ids import new_ids

    items = [item for items in pages for item in items]
    ids = new_ids(len(items))
    now = datetime.now(UTC)
    rows = [(ids[i], now, user.pk, "coinbase", t.ext_id, t.symbol, t.side, t.qty, t.price, t.fee, t.fee_asset,
             t.quote_asset, t.ts) for i, t in enumerate(items)]
    columns = "id, created_at, user_id, broker, ext_id, symbol, side, qty, price, fee, fee_asset, quote_asset, ts"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_trade_copy")
        cursor.execute("CREATE TABLE bench_trade_copy (LIKE trades_trade INCLUDING ALL)")
        cursor.execute("ALTER TABLE bench_trade_copy ADD FOREIGN KEY (user_id) REFERENCES accounts_user (id) "
                       "DEFERRABLE INITIALLY DEFERRED")  # as Django declares trades_trade.user_id

    def copy_rows() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            raw_cursor = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw_cursor.copy(f"COPY bench_trade_copy ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    _, timing = measured(copy_rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_trade_copy")
        assert cursor.fetchone()[0] == len(rows)
        cursor.execute("DROP TABLE bench_trade_copy")
    return timing


def run_naive(user, fills: list[dict]) -> float:
    from apps.brokers.adapters.coinbase import fill_to_dto
    from apps.trades.models import Trade

    started = time.perf_counter()
    for raw in fills:
        item = fill_to_dto(raw)
        Trade.objects.update_or_create(
            user=user, broker="coinbase", ext_id=item.ext_id,
            defaults={"symbol": item.symbol, "side": item.side, "qty": item.qty, "price": item.price,
                      "fee": item.fee, "fee_asset": item.fee_asset, "quote_asset": item.quote_asset, "ts": item.ts})
    return time.perf_counter() - started


def run_round(index: int, users: dict, fills: list[dict], page: int) -> dict:
    """Copy, ours and rerun of one round, each into an empty table."""
    from django.db import connection

    from apps.trades.models import Trade

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE trades_trade CASCADE")  # this benchmark's own database: ours starts empty too
    pages, normalise_timing = measured(lambda: normalise(fills, page))
    if index % 2 == 0:
        copy = run_copy(users["copy"], pages)
    ours, inserted, duplicates = run_ours(users["ours"], pages)
    rerun, re_inserted, re_duplicates = run_ours(users["ours"], pages)
    if index % 2 == 1:
        copy = run_copy(users["copy"], pages)
    assert (inserted, duplicates, re_inserted, re_duplicates) == (len(fills), 0, 0, len(fills))
    assert Trade.objects.filter(user=users["ours"]).count() == len(fills)
    return {"normalise": normalise_timing, "copy": copy, "ours": ours, "rerun_all_duplicates": rerun,
            "inserted": inserted, "duplicates_on_rerun": re_duplicates}


def _cpu(timing: dict) -> float | None:
    return None if timing["server_cpu_s"] is None else timing["client_cpu_s"] + timing["server_cpu_s"]


def summary(rows: int, rounds: list[dict], naive_rows: int, naive_s: float) -> dict:
    def median(values: list[float | None]) -> float | None:
        known = [value for value in values if value is not None]
        return round(statistics.median(known), 3) if known else None

    def rate(seconds: float) -> float:
        return round(rows / seconds, 1) if seconds else 0.0

    def part(name: str) -> dict:
        seconds = median([one[name]["seconds"] for one in rounds])
        return {"seconds": seconds, "rows_per_s": rate(seconds), "cpu_s": median([_cpu(one[name]) for one in rounds])}

    ours_vs_copy = median([one["copy"]["seconds"] / one["ours"]["seconds"] for one in rounds])
    cpu_pairs = [(_cpu(one["copy"]), _cpu(one["ours"])) for one in rounds]
    ours_vs_copy_cpu = median([copy / ours if copy and ours else None for copy, ours in cpu_pairs])
    naive_rate = round(naive_rows / naive_s, 1) if naive_s else 0.0
    ours_rate = rate(median([one["ours"]["seconds"] for one in rounds]))
    return {
        "normalise": part("normalise"), "copy": part("copy"),
        "ours": {**part("ours"), "inserted": rounds[-1]["inserted"]},
        "rerun_all_duplicates": {**part("rerun_all_duplicates"), "duplicates": rounds[-1]["duplicates_on_rerun"]},
        "naive_update_or_create": {"seconds": round(naive_s, 3), "rows_per_s": naive_rate},
        "ratios": {
            "ours_vs_copy": ours_vs_copy,
            "ours_vs_copy_cpu": ours_vs_copy_cpu,
            "normalise_and_ours_vs_copy": median([one["copy"]["seconds"] / (one["normalise"]["seconds"]
                                                  + one["ours"]["seconds"]) for one in rounds]),
            "ours_vs_naive": round(ours_rate / naive_rate, 1) if naive_rate else None,
        },
        "goal": {"ours_vs_copy_at_least": GOAL, "met": bool(ours_vs_copy and ours_vs_copy >= GOAL),
                 "met_on_cpu": bool(ours_vs_copy_cpu and ours_vs_copy_cpu >= GOAL)},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--page", type=int, default=1000, help="rows per upsert transaction (import page)")
    parser.add_argument("--rounds", type=int, default=3, help="copy/ours/rerun rounds; ratios are their medians")
    parser.add_argument("--naive-sample", type=int, default=3000)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db-name", default=DB_NAME)
    args = parser.parse_args(argv)

    import psycopg

    load_before = os.getloadavg()
    with psycopg.connect(f"{args.pg_url}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {args.db_name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {args.db_name}")
    os.environ.update({"DJANGO_SETTINGS_MODULE": "twin.settings.base", "LOG_LEVEL": "WARNING",
                       "DATABASE_URL": f"{args.pg_url}/{args.db_name}"})
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from apps.accounts.models import User

        call_command("migrate", verbosity=0)
        fills = wire_fills(args.rows)
        users = {name: User.objects.create_user(f"bench-{name}@example.com", None) for name in ("ours", "copy")}
        rounds = [run_round(index, users, fills, args.page) for index in range(args.rounds)]
        sample = fills[: args.naive_sample]
        naive_s = run_naive(User.objects.create_user("bench-naive@example.com", None), sample)
        connection.close()
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{args.pg_url}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {args.db_name} WITH (FORCE)")

    report = {
        "benchmark": "import_throughput",
        "machine": {**machine_info(), "load_average_before": [round(load, 2) for load in load_before],
                    "load_average_after": [round(load, 2) for load in os.getloadavg()]},
        "workload": {"rows": args.rows, "page": args.page, "rounds": args.rounds, "naive_sample": len(sample),
                     "database": args.db_name},
        **summary(args.rows, rounds, len(sample), naive_s),
        "rounds": rounds,
    }
    print_json(report)
    return report


if __name__ == "__main__":
    main()
