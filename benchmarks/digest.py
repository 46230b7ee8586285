"""Weekly digests for many users: the scheduled build end to end, against a naive per-trade baseline.

    .venv/bin/python -m benchmarks.digest [--users 1000] [--trades 50] [--baseline-sample 50]

Builds a throwaway PostgreSQL database (``BENCH_PG_URL``) with ``--users`` users, each with ``--trades``
scored trades (labels, FIFO positions, rule outcomes) spread over the digest week 2026-W47 and the week before
it, two active rules and a few Odean sale days. Then, in one run:

* ``scheduled``: ``digests_schedule_due`` at Monday 23 Nov 2026 01:00 UTC — one `Digest` job per user in
  batches of 50, each digest claimed, its payload computed, stored with its `digest.ready` event, and the
  email rendered and handed to Django's locmem backend — until every digest is done. ``--workers`` batches
  run at once on the in-process job runner (as a Celery worker's concurrency; 0 = one after another, inline).
* ``baseline_naive_per_trade``: the same figures read the naive way for ``--baseline-sample`` users — per
  trade its tags, its position and, per sale, the symbol's earlier buys and their labels, each with its own
  queries — reported per user and scaled to ``--users``.

Prints one JSON document (goal: 1,000 users × 50 trades ≤ 30 s).
"""
from __future__ import annotations

import argparse
import os
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from benchmarks.common import database_create, database_drop, machine_info, print_json

GOAL_S = 30.0
WEEK_START = datetime(2026, 11, 16, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 1, tzinfo=UTC)
LABELS = ("FOMO", "PANIC", "DISCIPLINE", "REVENGE", "OVERTRADING", "NONE")
SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-EUR")


def build(*, users: int, trades: int) -> None:
    """Users, trades, tags, positions, rules and sale days, written in bulk."""
    from apps.accounts.models import User
    from apps.bias.models import BiasTag, DispositionDay, Rule, TradePosition
    from apps.trades.models import Trade

    created = NOW - timedelta(days=60)
    people = [User(email=f"bench{n}@example.com", password="!", created_at=created) for n in range(users)]
    User.objects.bulk_create(people, batch_size=2000)
    User.objects.update(created_at=created)
    rows, tags, positions, rules, days = [], [], [], [], []
    for u, person in enumerate(people):
        rules += [Rule(user=person, kind="maxTradesPerDay", params={"count": 6}),
                  Rule(user=person, kind="minHoldHours", params={"hours": 4})]
        days += [DispositionDay(user=person, day=(WEEK_START + timedelta(days=d)).date(), realized_gains=1 + d % 2,
                                realized_losses=d % 3, paper_gains=2, paper_losses=1) for d in range(3)]
        for n in range(trades):
            symbol = SYMBOLS[n % len(SYMBOLS)]
            side = "BUY" if (n // len(SYMBOLS)) % 2 == 0 else "SELL"
            ts = WEEK_START - timedelta(days=7) + timedelta(minutes=(14 * 24 * 60 - 60) * n // trades, seconds=u)
            price = Decimal(100 + (n * 7 + u) % 23)
            trade = Trade(id=f"b{u}x{n}", user=person, broker="coinbase", ext_id=f"{u}-{n}", symbol=symbol, side=side,
                          qty=Decimal("0.5"), price=price, fee=Decimal("0.1"), fee_asset=symbol[-3:],
                          quote_asset=symbol[-3:], ts=ts)
            rows.append(trade)
            label = LABELS[(n + u) % len(LABELS)]
            outcome = [{"kind": "maxTradesPerDay", "status": "kept" if n % 9 else "broken"},
                       {"kind": "minHoldHours", "status": "not_applicable" if side == "BUY" else "kept"}]
            tags.append(BiasTag(trade=trade, label=label, confidence=Decimal("0.7"), features={"rules": outcome},
                                engine_version="1.0.0"))
            positions.append(TradePosition(trade=trade, user=person, symbol=symbol,
                                           realized_pnl=None if side == "BUY" else Decimal((n % 11) - 5)))
    Trade.objects.bulk_create(rows, batch_size=5000)
    BiasTag.objects.bulk_create(tags, batch_size=5000)
    TradePosition.objects.bulk_create(positions, batch_size=5000)
    Rule.objects.bulk_create(rules, batch_size=5000)
    DispositionDay.objects.bulk_create(days, batch_size=5000)


def naive_figures(user) -> dict:
    """The baseline: the week's counts and P/L by label, one trade at a time with its own queries."""
    from apps.bias.models import BiasTag, TradePosition
    from apps.trades.models import Trade

    end = WEEK_START + timedelta(days=7)
    labels: Counter = Counter()
    pnl: dict = defaultdict(lambda: defaultdict(Decimal))
    for trade_id in Trade.objects.filter(user=user, ts__gte=WEEK_START, ts__lt=end).values_list("id", flat=True):
        trade = Trade.objects.get(id=trade_id)
        own = [tag.label for tag in BiasTag.objects.filter(trade=trade)]
        labels.update(own)
        position = TradePosition.objects.filter(trade=trade).first()
        if trade.side != "SELL" or position is None or position.realized_pnl is None:
            continue
        openers = set()
        for buy in Trade.objects.filter(user=user, symbol=trade.symbol, side="BUY", ts__lt=trade.ts).order_by("ts"):
            openers.update(tag.label for tag in BiasTag.objects.filter(trade=buy))
        for label in set(own) | openers:
            pnl[label][trade.quote_asset] += position.realized_pnl
    return {"labels": dict(labels), "pnl": {k: dict(v) for k, v in pnl.items()}}


def run(*, users: int, trades: int, baseline_sample: int, workers: int = 0) -> dict:
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.db import connection

    from apps.core.jobs import JobStatus
    from apps.digest.models import Digest
    from apps.digest.services import digests_schedule_due
    from apps.events.models import EventOutbox

    started = time.perf_counter()
    build(users=users, trades=trades)
    built_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    mail.outbox = []

    started, cpu = time.perf_counter(), time.process_time()
    queued = digests_schedule_due(now=NOW)
    deadline = time.monotonic() + 1800
    while Digest.objects.exclude(status=JobStatus.DONE).exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the in-process runner's workers are building the batches
    scheduled_s, scheduled_cpu = time.perf_counter() - started, time.process_time() - cpu

    statuses = Counter(Digest.objects.values_list("status", flat=True))
    sample = list(get_user_model().objects.order_by("email")[:baseline_sample])
    started = time.perf_counter()
    for user in sample:
        naive_figures(user)
    naive_per_user = (time.perf_counter() - started) / max(1, len(sample))
    return {
        "benchmark": "digest",
        "users": users,
        "tradesPerUser": trades,
        "workers": workers or "one, inline (Celery eager)",
        "setup_s": round(built_s, 2),
        "scheduled": {
            "digests": queued, "statuses": dict(statuses),
            "events": EventOutbox.objects.filter(type="digest.ready").count(), "emails": len(getattr(mail, "outbox", [])),
            "wall_s": round(scheduled_s, 3), "cpu_s": round(scheduled_cpu, 3),
            "per_user_ms": round(scheduled_s / max(1, users) * 1000, 3),
            "goal_s": GOAL_S, "meets_goal": scheduled_s <= GOAL_S and statuses.get(JobStatus.DONE) == users,
        },
        "baseline_naive_per_trade": {"sample": len(sample), "per_user_ms": round(naive_per_user * 1000, 3),
                                     "scaled_s": round(naive_per_user * users, 3),
                                     "speedup": round(naive_per_user * users / scheduled_s, 2) if scheduled_s else None},
        "machine": {**machine_info(), "load": os.getloadavg()},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--trades", type=int, default=50)
    parser.add_argument("--baseline-sample", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2,
                        help="batches built at once by the in-process job runner, as a worker's concurrency "
                             "(0: one after another, inline)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args(argv)
    db_name = f"bench_digest_{os.getpid()}"
    database_create(args.pg_url, db_name)
    try:
        os.environ.update({"DJANGO_SETTINGS_MODULE": "twin.settings.base", "DATABASE_URL": f"{args.pg_url}/{db_name}",
                           "REDIS_URL": args.redis_url, "CACHE_KEY_PREFIX": f"bench-digest-{os.getpid()}",
                           "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLE": "0", "OUTBOX_RELAY_EMBEDDED": "0",
                           "CELERY_TASK_ALWAYS_EAGER": "1", "LLM_BASE_URL": "",
                           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                           "JOBS_IN_PROCESS": "1" if args.workers > 0 else "0",
                           "JOBS_IN_PROCESS_WORKERS": str(max(1, args.workers))})
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        result = run(users=args.users, trades=args.trades, baseline_sample=args.baseline_sample,
                     workers=args.workers)
    finally:
        database_drop(args.pg_url, db_name)
    print_json(result)
    return result


if __name__ == "__main__":
    main()
