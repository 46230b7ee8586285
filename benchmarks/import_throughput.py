"""Normalise + upsert throughput into PostgreSQL, against raw COPY and naive per-row update_or_create.

    .venv/bin/python -m benchmarks.import_throughput [--rows 50000] [--page 1000] [--naive-sample 3000]
                                                     [--pg-url postgres://postgres@127.0.0.1:5432]

A dedicated database (`twin_bench_imp`, created and dropped here) holds the migrated schema. The input is
N Coinbase fills in the exchange's wire format (decimal strings, RFC 3339 times).

  ours     wire dict → TradeDTO (the adapter's normaliser) → `trade_upsert_many` in pages of `--page`, one
           transaction per page (as the import worker commits), INSERT … ON CONFLICT DO NOTHING RETURNING id
  copy     the same rows, already normalised, `COPY`ed into an identical table (same columns, unique
           constraint, indexes and user foreign key: LIKE trades_trade INCLUDING ALL + the FK) — the ceiling
  naive    `Trade.objects.update_or_create` row by row for a sample, extrapolated to rows/s
  rerun    ours again over the same rows (every row a duplicate: what a re-import costs)

Goal: ours ≥ 0.4 × copy (rows/s). Prints one JSON document.
"""
from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from benchmarks.common import machine_info, print_json

DB_NAME = "twin_bench_imp"
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


def run_ours(user, fills: list[dict], page: int) -> tuple[float, int, int]:
    from django.db import transaction

    from apps.brokers.adapters.coinbase import fill_to_dto
    from apps.trades.services import trade_upsert_many

    inserted = duplicates = 0
    started = time.perf_counter()
    for offset in range(0, len(fills), page):
        items = [fill_to_dto(raw) for raw in fills[offset:offset + page]]
        with transaction.atomic():
            result = trade_upsert_many(user=user, broker="coinbase", items=items)
        inserted += len(result.inserted_ids)
        duplicates += result.duplicates
    return time.perf_counter() - started, inserted, duplicates


def run_copy(user, fills: list[dict]) -> float:
    from django.db import connection, transaction

    from apps.brokers.adapters.coinbase import fill_to_dto
    from apps.core.ids import new_ids

    items = [fill_to_dto(raw) for raw in fills]
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
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw_cursor = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw_cursor.copy(f"COPY bench_trade_copy ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_trade_copy")
        assert cursor.fetchone()[0] == len(rows)
        cursor.execute("DROP TABLE bench_trade_copy")
    return elapsed


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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--page", type=int, default=1000, help="rows per upsert transaction (import page)")
    parser.add_argument("--naive-sample", type=int, default=3000)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db-name", default=DB_NAME)
    args = parser.parse_args(argv)

    import psycopg

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
        from apps.trades.models import Trade

        call_command("migrate", verbosity=0)
        fills = wire_fills(args.rows)
        ours_user = User.objects.create_user("bench-ours@example.com", None)
        copy_user = User.objects.create_user("bench-copy@example.com", None)
        naive_user = User.objects.create_user("bench-naive@example.com", None)

        copy_s = run_copy(copy_user, fills)
        ours_s, inserted, duplicates = run_ours(ours_user, fills, args.page)
        rerun_s, re_inserted, re_duplicates = run_ours(ours_user, fills, args.page)
        sample = fills[: args.naive_sample]
        naive_s = run_naive(naive_user, sample)
        assert (inserted, duplicates, re_inserted, re_duplicates) == (args.rows, 0, 0, args.rows)
        assert Trade.objects.filter(user=ours_user).count() == args.rows
        connection.close()
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{args.pg_url}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {args.db_name} WITH (FORCE)")

    def rate(rows: int, seconds: float) -> float:
        return round(rows / seconds, 1) if seconds else 0.0

    copy_rate, ours_rate = rate(args.rows, copy_s), rate(args.rows, ours_s)
    naive_rate = rate(len(sample), naive_s)
    report = {
        "benchmark": "import_throughput",
        "machine": machine_info(),
        "workload": {"rows": args.rows, "page": args.page, "naive_sample": len(sample), "database": args.db_name},
        "copy": {"seconds": round(copy_s, 3), "rows_per_s": copy_rate},
        "ours": {"seconds": round(ours_s, 3), "rows_per_s": ours_rate, "inserted": inserted},
        "rerun_all_duplicates": {"seconds": round(rerun_s, 3), "rows_per_s": rate(args.rows, rerun_s),
                                 "duplicates": re_duplicates},
        "naive_update_or_create": {"seconds": round(naive_s, 3), "rows_per_s": naive_rate},
        "ratios": {"ours_vs_copy": round(ours_rate / copy_rate, 3) if copy_rate else None,
                   "ours_vs_naive": round(ours_rate / naive_rate, 1) if naive_rate else None},
        "goal": {"ours_vs_copy_at_least": 0.4,
                 "met": bool(copy_rate and ours_rate / copy_rate >= 0.4)},
    }
    print_json(report)
    return report


if __name__ == "__main__":
    main()
