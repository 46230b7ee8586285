"""`rows_insert`: COPY on PostgreSQL, executemany elsewhere; ids, stamps, conflicts, and nothing on failure."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from apps.bias.models import BiasTag, TradePosition
from apps.brokers.models import Candle
from apps.core.bulk import Conflict, JsonText, rows_insert
from apps.core.ids import new_ids
from apps.trades.testing import TradeFactory

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 3, 1, tzinfo=UTC)
CANDLE_COLUMNS = ("symbol", "granularity", "ts", "open", "high", "low", "close", "volume")


def candle(hour: int, close: str = "100.5") -> tuple:
    return ("BTC-USD", "1h", T0 + timedelta(hours=hour), Decimal("100"), Decimal("101"), Decimal("99"),
            Decimal(close), Decimal("12.000000000000000001"))


def test_new_ids_look_like_cuid2_and_do_not_repeat():
    ids = new_ids(20_000)

    assert len(set(ids)) == 20_000
    assert all(len(i) == 25 and i[0].isalpha() and i.isalnum() and i == i.lower() for i in ids)


@pytest.mark.postgres
@pytest.mark.django_db
def test_rows_get_generated_ids_stamps_and_exact_values(user):
    trades = TradeFactory.create_batch(2, user=user)
    features = {"inputs": {"RSI_14": 78.25, "note": "tab\there, quote \" and newline\n"}, "fired": [True]}

    ids, written = rows_insert(BiasTag, ("trade_id", "label", "confidence", "features", "engine_version"), [
        (trades[0].id, "FOMO", Decimal("0.8125"), features, "1.0.0"),
        (trades[1].id, "NONE", Decimal("0.5"), JsonText('{"already": "encoded"}'), "1.0.0"),
    ])

    assert written == 2 and len(ids) == 2 and len(set(ids)) == 2
    first, second = BiasTag.objects.get(id=ids[0]), BiasTag.objects.get(id=ids[1])
    assert (first.trade_id, first.label, first.confidence, first.features) == (
        trades[0].id, "FOMO", Decimal("0.8125"), features)
    assert second.features == {"already": "encoded"}
    assert first.created_at is not None and abs(first.created_at - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.postgres
@pytest.mark.django_db
def test_conflict_ignore_counts_only_new_rows_and_keeps_stored_ones():
    rows_insert(Candle, CANDLE_COLUMNS, [candle(0, "100.5")])

    ids, written = rows_insert(Candle, CANDLE_COLUMNS, [candle(0, "999"), candle(1), candle(2)],
                               conflict=Conflict(("symbol", "granularity", "ts")))

    assert ids is None and written == 2
    assert Candle.objects.count() == 3
    assert Candle.objects.get(ts=T0).close == Decimal("100.5")
    assert Candle.objects.get(ts=T0 + timedelta(hours=1)).volume == Decimal("12.000000000000000001")


@pytest.mark.postgres
@pytest.mark.django_db
def test_conflict_update_rewrites_the_named_fields(user):
    trade = TradeFactory(user=user)
    columns = ("trade_id", "user_id", "symbol", "realized_pnl", "held_hours", "matched_qty", "unmatched_qty")
    rows_insert(TradePosition, columns, [(trade.id, user.id, "BTC-USD", None, None, Decimal("0"), Decimal("1"))])
    before = TradePosition.objects.get(trade=trade).updated_at

    _, written = rows_insert(TradePosition, columns,
                             [(trade.id, user.id, "BTC-USD", Decimal("-12.5"), 3.5, Decimal("1"), Decimal("0"))],
                             conflict=Conflict(("trade",), ("realized_pnl", "held_hours", "matched_qty")))

    position = TradePosition.objects.get(trade=trade)
    assert written == 1
    assert (position.realized_pnl, position.held_hours, position.matched_qty, position.unmatched_qty) == (
        Decimal("-12.5"), 3.5, Decimal("1"), Decimal("1"))
    assert position.updated_at > before


@pytest.mark.postgres
@pytest.mark.django_db
def test_conflict_update_of_changed_rows_only_leaves_equal_rows_alone(user):
    same, moved = TradeFactory(user=user), TradeFactory(user=user)
    columns = ("trade_id", "user_id", "symbol", "realized_pnl", "held_hours", "matched_qty", "unmatched_qty")
    stored = [(same.id, user.id, "BTC-USD", None, None, Decimal("0"), Decimal("1")),
              (moved.id, user.id, "BTC-USD", Decimal("2.5"), 1.0, Decimal("1"), Decimal("0"))]
    rows_insert(TradePosition, columns, stored)
    before = dict(TradePosition.objects.values_list("trade_id", "updated_at"))
    xmin = dict(TradePosition.objects.extra(select={"v": "xmin::text"}).values_list("trade_id", "v"))

    _, written = rows_insert(TradePosition, columns, [
        stored[0], (moved.id, user.id, "BTC-USD", Decimal("-2.5"), 1.0, Decimal("1"), Decimal("0"))],
        conflict=Conflict(("trade",), ("realized_pnl", "held_hours", "matched_qty", "unmatched_qty"),
                          changed_only=True))

    assert written == 1
    unchanged = TradePosition.objects.extra(select={"v": "xmin::text"}).get(trade=same)
    assert (unchanged.realized_pnl, unchanged.held_hours, unchanged.updated_at) == (None, None, before[same.id])
    assert unchanged.v == xmin[same.id]  # the same row version: not rewritten
    changed = TradePosition.objects.get(trade=moved)
    assert changed.realized_pnl == Decimal("-2.5") and changed.updated_at > before[moved.id]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_bad_row_raises_a_database_error_and_writes_nothing(user):
    trade = TradeFactory(user=user)

    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(BiasTag, ("trade_id", "label", "confidence", "features", "engine_version"), [
            (trade.id, "FOMO", Decimal("0.5"), {}, "1.0.0"),
            (trade.id, None, Decimal("0.5"), {}, "1.0.0"),  # label is NOT NULL
        ])

    assert BiasTag.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_rows_of_the_wrong_width_are_refused_before_anything_is_sent():
    with pytest.raises(ValueError, match="every row needs 8 values"):
        rows_insert(Candle, CANDLE_COLUMNS, [candle(0), candle(1)[:-1]])

    assert Candle.objects.count() == 0


SQLITE_SCRIPT = """
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from apps.accounts.models import User
from apps.bias.models import BiasTag, TradePosition
from apps.brokers.models import Candle
from apps.core.bulk import Conflict, JsonText, rows_insert
from apps.trades.models import Trade
t0 = datetime(2026, 3, 1, tzinfo=UTC)
user = User.objects.create_user("bulk@example.com", "x-long-enough-passphrase-1")
trade = Trade.objects.create(user=user, broker="coinbase", ext_id="f1", symbol="BTC-USD", side="BUY",
                             qty=Decimal("1"), price=Decimal("2"), ts=t0)
ids, tags = rows_insert(BiasTag, ("trade_id", "label", "confidence", "features", "engine_version"),
                        [(trade.id, "FOMO", Decimal("0.75"), {"a": [1, 2.5]}, "v"),
                         (trade.id, "NONE", Decimal("0.5"), JsonText('{"b": 1}'), "v")])
cols = ("symbol", "granularity", "ts", "open", "high", "low", "close", "volume")
row = lambda h, c: ("BTC-USD", "1h", t0 + timedelta(hours=h), Decimal("1"), Decimal("2"), Decimal("0.5"),
                    Decimal(c), Decimal("3"))
rows_insert(Candle, cols, [row(0, "1.5")])
_, new = rows_insert(Candle, cols, [row(0, "9"), row(1, "1.25")], conflict=Conflict(("symbol", "granularity", "ts")))
pcols = ("trade_id", "user_id", "symbol", "realized_pnl", "held_hours", "matched_qty", "unmatched_qty")
rows_insert(TradePosition, pcols, [(trade.id, user.id, "BTC-USD", None, None, Decimal("0"), Decimal("1"))])
rows_insert(TradePosition, pcols, [(trade.id, user.id, "BTC-USD", Decimal("-1.5"), 2.0, Decimal("1"), Decimal("0"))],
            conflict=Conflict(("trade",), ("realized_pnl", "held_hours")))
p = TradePosition.objects.get(trade=trade)
changed_only = Conflict(("trade",), ("realized_pnl", "held_hours"), changed_only=True)
same = rows_insert(TradePosition, pcols, [(trade.id, user.id, "BTC-USD", Decimal("-1.5"), 2.0, Decimal("1"), Decimal("0"))],
                   conflict=changed_only)[1]
print(json.dumps({
    "unchanged_rewritten": same,
    "ids": len(set(ids)), "tags": tags, "features": [BiasTag.objects.get(id=i).features for i in ids],
    "new_candles": new, "closes": [str(c) for c in Candle.objects.order_by("ts").values_list("close", flat=True)],
    "position": [str(p.realized_pnl), p.held_hours, str(p.unmatched_qty)],
}))
"""


def test_the_embedded_sqlite_default_takes_the_same_calls(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="twin.settings.local", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               REDIS_URL="", LOG_LEVEL="WARNING")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", SQLITE_SCRIPT], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)

    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"unchanged_rewritten": 0, "ids": 2, "tags": 2, "features": [{"a": [1, 2.5]}, {"b": 1}], "new_candles": 1,
                      "closes": ["1.500000000000000000", "1.250000000000000000"],
                      "position": ["-1.500000000000000000", 2.0, "1.000000000000000000"]}
