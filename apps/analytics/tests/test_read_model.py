"""The read model gives exactly what a full computation over the source tables gives, on random histories.

The reference below is the plain way: every trade, position, label and candle loaded and folded one by one in
Python (no SQL grouping, no read model). Random histories are scored through the real pipeline (FIFO
positions from apps.bias), including partial fills, sells with nothing to match, ties in time, fees in the
quote, the base and a third asset, two brokers and two quote currencies; every figure set is compared under
several filter sets. Decimal figures must be equal; the float estimates (MAE/MFE, conversions) to 1e-6.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from apps.analytics.models import DailyRollup, TradeFact, TradeFactLabel
from apps.analytics.selectors import WEEKDAYS, money, ratio
from apps.analytics.services.readmodel import trade_facts_refresh
from apps.bias.models import BiasTag, TradePosition
from apps.bias.services import bias_score_trades
from apps.brokers.models import Candle
from apps.trades.models import Trade
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]
D = Decimal
MARKETS = (("BTC-USD", 100), ("ETH-USD", 20), ("ETH-EUR", 18))


def random_history(rng: random.Random, *, user, t0, count: int) -> list[Trade]:
    trades = []
    for n in range(count):
        symbol, level = MARKETS[rng.randrange(len(MARKETS))]
        base, quote = symbol.split("-")
        side = "BUY" if rng.random() < 0.55 else "SELL"
        fee_asset = rng.choice([quote, quote, base, "BNB", ""])
        hours = rng.choice([n * 3, n * 3, n * 3 + 0.5, max(0, n * 3 - 3)])  # ties and out-of-order inserts
        trades.append(TradeFactory(
            user=user, ts=t0 + timedelta(hours=hours), symbol=symbol, side=side,
            qty=D(rng.randint(1, 40)) / 10, price=D(level) * (1 + D(rng.randint(-80, 80)) / 1000),
            fee=None if rng.random() < 0.1 else D(rng.randint(0, 300)) / 1000, fee_asset=fee_asset,
            quote_asset=rng.choice([quote, quote, ""]), broker=rng.choice(["coinbase", "binance"])))
    return trades


def conversion_bars(rng: random.Random, t0, hours: int) -> None:
    """EUR-USD hourly bars with gaps: single missing hours (the bar before still counts) and a 12-hour hole
    every two days (exits in it get no rate)."""
    level = 1.1
    rows = []
    for hour in range(-3, hours):
        level *= 1 + rng.uniform(-0.01, 0.01)
        if rng.random() < 0.2 or (hour // 12) % 4 == 3:
            continue
        close = D(str(round(level, 6)))
        rows.append(Candle(symbol="EUR-USD", granularity="1h", ts=t0 + timedelta(hours=hour), open=close,
                           high=close, low=close, close=close, volume=D(1)))
    Candle.objects.bulk_create(rows)


# --- the reference ------------------------------------------------------------------------------------------

def quote_of(trade: Trade) -> str:
    if trade.quote_asset:
        return trade.quote_asset
    return trade.symbol.split("-", 1)[1] if "-" in trade.symbol else trade.symbol


def fee_valued(trade: Trade) -> tuple[Decimal | None, str | None]:
    if trade.fee is None:
        return None, None
    asset = (trade.fee_asset or "").upper()
    if asset in ("", quote_of(trade).upper()):
        return trade.fee, None
    if asset == trade.symbol.split("-", 1)[0].upper():
        return trade.fee * trade.price, None
    return None, asset


class Reference:
    def __init__(self, user):
        self.trades = list(Trade.objects.filter(user=user))
        self.positions = {p.trade_id: p for p in TradePosition.objects.filter(user=user)}
        self.labels = defaultdict(set)
        for trade_id, label in BiasTag.objects.filter(trade__user=user).values_list("trade_id", "label"):
            self.labels[trade_id].add(label)

    def trades_matching(self, f: dict) -> list[Trade]:
        return [t for t in self.trades
                if (f.get("since") is None or t.ts >= f["since"]) and (f.get("until") is None or t.ts < f["until"])
                and (not f.get("symbol") or t.symbol in f["symbol"]) and (not f.get("broker") or t.broker in f["broker"])
                and (not f.get("side") or t.side in f["side"])
                and (not f.get("label") or self.labels[t.id] & set(f["label"]))]

    def exits(self, f: dict) -> list[tuple[Trade, TradePosition]]:
        found = [(t, self.positions[t.id]) for t in self.trades_matching(f)
                 if t.id in self.positions and self.positions[t.id].realized_pnl is not None]
        return sorted(found, key=lambda pair: (pair[0].ts, pair[0].id))

    def summary(self, f: dict) -> dict:
        out = {}
        for quote in sorted({quote_of(t) for t in self.trades_matching(f)}):
            trades = [t for t in self.trades_matching(f) if quote_of(t) == quote]
            exits = [(t, p) for t, p in self.exits(f) if quote_of(t) == quote]
            pnls = [p.realized_pnl for _, p in exits]
            wins, losses = [x for x in pnls if x > 0], [x for x in pnls if x < 0]
            gross_win, gross_loss = sum(wins, D(0)), sum(losses, D(0))
            net = gross_win + gross_loss
            streak = {1: 0, -1: 0}
            run, last = 0, 0
            for x in pnls:
                sign = (x > 0) - (x < 0)
                run = run + 1 if sign == last else 1
                last = sign
                if sign:
                    streak[sign] = max(streak[sign], run)
            hold = {s: [p.held_hours for t, p in exits if (p.realized_pnl > 0) == (s == 1) and p.realized_pnl != 0]
                    for s in (1, -1)}
            fees = sum((fee_valued(t)[0] for t in trades if fee_valued(t)[0] is not None), D(0))
            out[quote] = {
                "quote": quote, "trades": len(trades), "closedPositions": len(exits), "wins": len(wins),
                "losses": len(losses), "breakeven": len(exits) - len(wins) - len(losses),
                "winRate": ratio(len(wins), len(exits)), "realizedPnl": money(net), "grossProfit": money(gross_win),
                "grossLoss": money(gross_loss), "profitFactor": ratio(gross_win, -gross_loss) if gross_loss else None,
                "expectancy": money(net / len(exits)) if exits else None,
                "averageWin": money(gross_win / len(wins)) if wins else None,
                "averageLoss": money(gross_loss / len(losses)) if losses else None,
                "largestWin": money(max(wins)) if wins else None, "largestLoss": money(min(losses)) if losses else None,
                "longestWinStreak": streak[1], "longestLossStreak": streak[-1],
                "averageHoldHoursWinners": round(sum(hold[1]) / len(hold[1]), 2) if hold[1] else None,
                "averageHoldHoursLosers": round(sum(hold[-1]) / len(hold[-1]), 2) if hold[-1] else None,
                "fees": money(fees), "feesPctOfPnl": round(float(fees / abs(net) * 100), 2) if net else None}
        other = defaultdict(lambda: D(0))
        for t in self.trades_matching(f):
            if fee_valued(t)[1]:
                other[fee_valued(t)[1]] += t.fee
        return {"currencies": list(out.values()), "otherFees": {k: money(v) for k, v in sorted(other.items())}}

    def daily(self, f: dict) -> dict:
        out = defaultdict(lambda: defaultdict(lambda: [D(0), 0, 0]))
        for t, p in self.exits(f):
            day = out[quote_of(t)][t.ts.astimezone(UTC).date()]
            day[0] += p.realized_pnl
            day[1] += 1
            day[2] += p.realized_pnl > 0
        return {q: dict(sorted(days.items())) for q, days in sorted(out.items())}

    def breakdown(self, f: dict, by: str) -> dict:
        out = defaultdict(lambda: defaultdict(lambda: [D(0), 0, 0]))
        for t, p in self.exits(f):
            ts = t.ts.astimezone(UTC)
            keys = {"hour": [ts.hour], "weekday": [ts.isoweekday()], "symbol": [t.symbol], "broker": [t.broker],
                    "label": sorted(self.labels[t.id])}[by]
            for key in keys:
                bucket = out[quote_of(t)][key]
                bucket[0] += p.realized_pnl
                bucket[1] += 1
                bucket[2] += p.realized_pnl > 0
        result = {}
        for quote, buckets in sorted(out.items()):
            keys = {"hour": range(24), "weekday": range(1, 8)}.get(by, sorted(buckets))
            result[quote] = [{"key": k, "name": WEEKDAYS[k - 1] if by == "weekday" else str(k),
                              "closedPositions": buckets[k][1] if k in buckets else 0,
                              "wins": buckets[k][2] if k in buckets else 0,
                              "winRate": ratio(buckets[k][2], buckets[k][1]) if k in buckets else None,
                              "pnl": money(buckets[k][0]) if k in buckets else "0"} for k in keys]
        return result

    def lots(self) -> dict[str, list[tuple]]:
        """exit id → [(entry ts, qty, price)], FIFO per symbol in the engine's order."""
        out, books = {}, defaultdict(list)
        for t in sorted(self.trades, key=lambda t: (t.ts, 0 if t.side == "BUY" else 1, t.id)):
            book = books[t.symbol]
            if t.side == "BUY":
                book.append([t.ts, t.qty, t.price])
                continue
            left, taken = t.qty, []
            while left > 0 and book:
                take = min(left, book[0][1])
                taken.append((book[0][0], take, book[0][2]))
                book[0][1] -= take
                left -= take
                if book[0][1] <= 0:
                    book.pop(0)
            out[t.id] = taken
        return out

    def excursion(self, trade: Trade, position: TradePosition, lots: list[tuple]) -> tuple:
        """(MAE, MFE): at every bar held, the unrealised P/L of the lots entered by then (each lot from the
        hour of its own entry), at the bar's low and high; the cost of the lots from the exit's P/L."""
        matched = sum(q for _, q, _ in lots)
        exit_fee = (fee_valued(trade)[0] or D(0)) * matched / trade.qty
        cost = float(trade.price * matched - exit_fee - position.realized_pnl)
        fee_per_unit = (cost - float(sum(q * p for _, q, p in lots))) / float(matched)
        first = min(e for e, _, _ in lots).replace(minute=0, second=0, microsecond=0)
        worst = best = None
        for bar in Candle.objects.filter(symbol=trade.symbol, granularity="1h", ts__gte=first, ts__lt=trade.ts):
            held = [(q, p) for e, q, p in lots if e.replace(minute=0, second=0, microsecond=0) <= bar.ts]
            low = sum(float(q) * (float(bar.low) - float(p) - fee_per_unit) for q, p in held)
            high = sum(float(q) * (float(bar.high) - float(p) - fee_per_unit) for q, p in held)
            worst = low if worst is None else min(worst, low)
            best = high if best is None else max(best, high)
        if worst is None:
            return None, None
        return min(0.0, worst), max(0.0, best)

    def rate(self, quote: str, currency: str, at) -> float | None:
        if quote == currency:
            return 1.0
        for pair, inverse in ((f"{quote}-{currency}", False), (f"{currency}-{quote}", True)):
            bars = [b for b in Candle.objects.filter(symbol=pair, granularity="1h").order_by("ts")
                    if b.ts + timedelta(hours=1) <= at]
            if not Candle.objects.filter(symbol=pair).exists():
                continue
            if not bars or bars[-1].ts + timedelta(hours=1) < at - timedelta(hours=2):
                return None
            return 1 / float(bars[-1].close) if inverse else float(bars[-1].close)
        return None


# {} and the whole-day bounds are answered from the daily rollup, the others from the per-trade rows
FILTER_SETS = [{}, {"symbol": ["ETH-USD", "ETH-EUR"]}, {"broker": ["binance"]}, {"side": ["BUY"]},
               {"label": ["NONE", "FOMO"]}, {"since": 20, "until": 70},
               {"since_day": 2, "until_day": 6, "broker": ["coinbase"]}, {"since_day": 1, "until_day": 5}]


def as_params(f: dict, t0) -> tuple[dict, dict]:
    f = dict(f)
    for key in ("since", "until"):
        if key in f:
            f[key] = t0 + timedelta(hours=f[key])
        if f"{key}_day" in f:
            midnight = t0.replace(hour=0) + timedelta(days=f.pop(f"{key}_day"))
            f[key] = midnight
    params = {k: ",".join(v) if isinstance(v, list) else v.isoformat() for k, v in f.items()}
    return f, params


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_figure_equals_the_full_computation(api_client, user, stub_exchange, seed):
    rng = random.Random(seed)
    t0 = (stub_exchange.state.anchor - timedelta(days=14)).replace(minute=0, second=0, microsecond=0)
    conversion_bars(rng, t0, 3 * 70)
    trades = random_history(rng, user=user, t0=t0, count=70)
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    trade_facts_refresh(user_id=user.id)
    reference = Reference(user)
    assert TradeFact.objects.filter(user=user).count() == len(trades)

    for raw in FILTER_SETS:
        f, params = as_params(raw, t0)
        summary = api_client.get("/api/analytics/summary", params).json()
        assert {k: summary[k] for k in ("currencies", "otherFees")} == reference.summary(f), raw
        daily = reference.daily(f)
        calendar = api_client.get("/api/analytics/calendar", params).json()["currencies"]
        assert {c["quote"]: [(d["date"], d["pnl"], d["closedPositions"], d["wins"]) for d in c["days"]]
                for c in calendar} == {q: [(day.isoformat(), money(v[0]), v[1], v[2]) for day, v in days.items()]
                                       for q, days in daily.items()}, raw
        for by in ("hour", "weekday", "symbol", "label", "broker"):
            body = api_client.get("/api/analytics/breakdown", {**params, "by": by}).json()["currencies"]
            assert {c["quote"]: c["buckets"] for c in body} == reference.breakdown(f, by), (raw, by)

        scatter = api_client.get("/api/analytics/excursions", {**params, "limit": 7}).json()["currencies"]
        exits = reference.exits(f)
        assert {c["quote"]: (c["closedPositions"], [p["tradeId"] for p in c["positions"]]) for c in scatter} == {
            quote: (len([t for t, _ in exits if quote_of(t) == quote]),
                    [t.id for t, _ in exits[-7:] if quote_of(t) == quote])
            for quote in {quote_of(t) for t, _ in exits}}, raw

    lots = reference.lots()
    excursions = api_client.get("/api/analytics/excursions", {"limit": 5000}).json()["currencies"]
    assert sum(len(c["positions"]) for c in excursions) == len(reference.exits({}))
    checked = 0
    for currency in excursions:
        for row in currency["positions"]:
            trade = next(t for t in reference.trades if t.id == row["tradeId"])
            mae, mfe = reference.excursion(trade, reference.positions[trade.id], lots[trade.id])
            if mae is None:
                assert (row["mae"], row["mfe"]) == (None, None)
            else:
                assert row["mae"] == pytest.approx(mae, abs=1e-6) and row["mfe"] == pytest.approx(mfe, abs=1e-6)
            assert row["entryTs"] == min(e for e, _, _ in lots[trade.id]).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            checked += mae is not None
        assert (currency["withCandles"], currency["withoutCandles"]) == (
            sum(row["mfe"] is not None for row in currency["positions"]),
            sum(row["mfe"] is None for row in currency["positions"]))
        efficiencies = [row["exitEfficiency"] for row in currency["positions"] if row["exitEfficiency"] is not None]
        assert currency["averageExitEfficiency"] == (
            pytest.approx(sum(efficiencies) / len(efficiencies), abs=1e-3) if efficiencies else None)
    assert checked > 5

    for currency in ("USD", "EUR"):
        body = api_client.get("/api/analytics/summary", {"currency": currency}).json()["reporting"]
        expected = defaultdict(lambda: [0, 0, 0.0])
        for t, p in reference.exits({}):
            rate = reference.rate(quote_of(t), currency, t.ts)
            entry = expected[quote_of(t)]
            entry[0] += 1
            entry[1] += rate is None
            entry[2] += float(p.realized_pnl) * rate if rate is not None else 0.0
        got = {c["quote"]: [c["positions"], c["withoutRate"], float(c["converted"])] for c in body["conversions"]}
        assert got.keys() == expected.keys()
        for quote, (positions, without, converted) in expected.items():
            assert got[quote][:2] == [positions, without]
            assert got[quote][2] == pytest.approx(converted, abs=1e-6)
        assert any(without for _, without, _ in got.values())  # the gaps are exercised


def test_refresh_is_incremental_and_idempotent(user, stub_exchange):
    t0 = (stub_exchange.state.anchor - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    trades = random_history(random.Random(7), user=user, t0=t0, count=30)
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    first = trade_facts_refresh(user_id=user.id)
    assert (first.trades, first.written) == (30, 30)
    labels = TradeFactLabel.objects.filter(user=user).count()
    assert labels == BiasTag.objects.filter(trade__user=user).values("trade_id", "label").distinct().count()
    assert trade_facts_refresh(user_id=user.id).written == 0

    # one more buy before every other trade of its symbol: the FIFO outcome of that symbol's exits changes
    first_btc = min(t.ts for t in trades if t.symbol == "BTC-USD")
    early = TradeFactory(user=user, ts=first_btc - timedelta(hours=1), symbol="BTC-USD", side="BUY", qty=D(5),
                         price=D(50), fee=D(0), fee_asset="USD", quote_asset="USD")
    bias_score_trades(user_id=user.id, trade_ids=[early.id])
    changed = trade_facts_refresh(user_id=user.id)
    btc = [t for t in trades if t.symbol == "BTC-USD"]
    assert 1 < changed.written <= len(btc) + 1
    fact = TradeFact.objects.get(trade_id=early.id)
    assert (fact.side, fact.realized_pnl, fact.fee) == ("BUY", None, D(0))
    pnl = {t: p for t, p in TradePosition.objects.filter(user=user).values_list("trade_id", "realized_pnl")}
    assert {f.trade_id: f.realized_pnl for f in TradeFact.objects.filter(user=user)} == {
        t.id: pnl.get(t.id) for t in [*trades, early]}

    assert DailyRollup.objects.filter(user=user).aggregate(n=Sum("trades"))["n"] == 31

    early.delete()  # its row goes with it; the next refresh sums the days again
    assert not TradeFact.objects.filter(trade_id=early.id).exists()
    assert TradeFact.objects.filter(user=user).count() == 30
    assert trade_facts_refresh(user_id=user.id).written == 0
    assert DailyRollup.objects.filter(user=user).aggregate(n=Sum("trades"))["n"] == 30


def test_a_scoring_run_maintains_the_read_model_in_its_final_transaction(user, stub_exchange):
    from apps.bias.models import ScoringRun
    from apps.bias.services.scoring_runs import scoring_request, scoring_run_execute

    t0 = (stub_exchange.state.anchor - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    trades = random_history(random.Random(11), user=user, t0=t0, count=12)
    run = scoring_request(user_id=user.id, source="test")
    scoring_run_execute(run_id=run.id)
    assert ScoringRun.objects.get(id=run.id).status == "done"
    assert set(TradeFact.objects.filter(user=user).values_list("trade_id", flat=True)) == {t.id for t in trades}
    assert TradeFactLabel.objects.filter(user=user).exists()


def test_refresh_command_rewrites_every_row_with_full(user, stub_exchange):
    from io import StringIO

    from django.core.management import call_command

    t0 = (stub_exchange.state.anchor - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    trades = random_history(random.Random(5), user=user, t0=t0, count=8)
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    out = StringIO()
    call_command("analytics_refresh", "--user", user.email, stdout=out)
    call_command("analytics_refresh", "--user", user.email, stdout=out)
    call_command("analytics_refresh", "--user", user.email, "--full", stdout=out)
    assert out.getvalue().splitlines() == ["Read model: 8 of 8 trade row(s) written.",
                                           "Read model: 0 of 8 trade row(s) written.",
                                           "Read model: 8 of 8 trade row(s) written."]


def test_rescore_keeps_the_read_model_in_step(user, stub_exchange):
    """`manage.py rescore` labels in its own walk (no scoring run): the read model follows it all the same."""
    from io import StringIO

    from django.core.management import call_command

    t0 = (stub_exchange.state.anchor - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    trades = random_history(random.Random(5), user=user, t0=t0, count=12)
    assert not TradeFact.objects.filter(user=user).exists()
    call_command("rescore", user=user.email, stdout=StringIO(), stderr=StringIO())
    assert set(TradeFact.objects.filter(user=user).values_list("trade_id", flat=True)) == {t.id for t in trades}
    assert TradeFactLabel.objects.filter(user=user).exists()


# --- the refresh after a scoring run reads only what the run touched -------------------------------------

class _Rollback(Exception):
    pass


def _normal(value):
    """Floats summed in another row order may differ in the last bits: compare them to ten digits."""
    return float(f"{value:.10g}") if isinstance(value, float) else value


def read_model_state(user) -> dict:
    """Every read-model row of the user, without surrogate keys, in a fixed order."""
    from apps.analytics.models import HourRollup, LabelRollup, QuoteStreak

    def rows(model, exclude=("id",)):
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
        return sorted((tuple(_normal(v) for v in row) for row in model.objects.filter(user=user).values_list(*names)),
                      key=repr)

    return {"facts": rows(TradeFact, exclude=()), "labels": rows(TradeFactLabel), "days": rows(DailyRollup),
            "hours": rows(HourRollup), "label_days": rows(LabelRollup), "streaks": rows(QuoteStreak)}


def assert_same_state(incremental: dict, full: dict) -> None:
    """Table by table, the rows only one side has (a readable failure)."""
    for table in full:
        only_incremental = sorted(set(incremental[table]) - set(full[table]), key=repr)[:3]
        only_full = sorted(set(full[table]) - set(incremental[table]), key=repr)[:3]
        if table == "facts" and only_incremental:  # name the fields that differ
            names = [f.attname for f in TradeFact._meta.concrete_fields]
            theirs = {row[0]: row for row in full[table]}
            only_incremental = [{name: (a, b) for name, a, b in zip(names, row, theirs.get(row[0], ()), strict=False)
                                 if a != b} | {"trade": row[0]} for row in only_incremental]
        assert (only_incremental, only_full) == ([], []), table
        assert incremental[table] == full[table], table


def full_rebuild_state(user) -> dict:
    """What a full rebuild gives from the same trades (rolled back, so the incremental state goes on)."""
    from django.db import transaction

    try:
        with transaction.atomic():
            trade_facts_refresh(user_id=user.id, full=True)
            state = read_model_state(user)
            raise _Rollback
    except _Rollback:
        pass
    return state


@pytest.mark.parametrize("seed", [21, 22])
def test_incremental_refresh_after_scoring_runs_equals_a_full_rebuild(user, stub_exchange, seed):
    """Several scoring runs (the durable runner, whose hook passes the run's earliest labelled trade): new
    trades after the history, inside it (older than trades already scored: the later FIFO lots, streaks and
    days move) and on days already summed; after each, the read model equals a full rebuild's."""
    from apps.bias.models import ScoringRun
    from apps.bias.services.scoring_runs import scoring_request, scoring_run_execute

    rng = random.Random(seed)
    t0 = (stub_exchange.state.anchor - timedelta(days=14)).replace(minute=0, second=0, microsecond=0)
    conversion_bars(rng, t0, 3 * 90)
    every = random_history(rng, user=user, t0=t0, count=40)
    for batch, offset in ((8, 120), (6, 40), (10, 0), (5, 200)):  # hours after t0 where the new trades start
        run = scoring_request(user_id=user.id, source="test")
        scoring_run_execute(run_id=run.id)
        assert ScoringRun.objects.get(id=run.id).status == "done"
        incremental = read_model_state(user)
        assert len(incremental["facts"]) == len(every)
        assert_same_state(incremental, full_rebuild_state(user))
        every += random_history(rng, user=user, t0=t0 + timedelta(hours=offset), count=batch)


def test_rows_written_a_few_at_a_time_are_those_written_at_once(user, stub_exchange, monkeypatch):
    """The rows (and their labels) go out `CHUNK` at a time as they are made: with chunks of four, a full
    rewrite of 30 trades leaves the read model as one chunk did."""
    from apps.analytics.services import readmodel

    t0 = (stub_exchange.state.anchor - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    trades = random_history(random.Random(11), user=user, t0=t0, count=30)
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    assert trade_facts_refresh(user_id=user.id).written == 30
    at_once = read_model_state(user)
    monkeypatch.setattr(readmodel, "CHUNK", 4)

    assert trade_facts_refresh(user_id=user.id, full=True).written == 30

    assert len(at_once["facts"]) == 30
    assert_same_state(read_model_state(user), at_once)


def test_incremental_refresh_reads_only_the_new_trades(user, stub_exchange):
    """After a history of 240 trades, a run labelling 4 new ones: the refresh reads those 4 (and the lots
    still open before them), rewrites their rows and sums their day again — the rows the database sends
    back (besides the hourly bars the lots were held over, and one streak row per day and quote) stay a few
    dozen, where a full refresh reads every trade."""
    from django.db import connection

    from apps.bias.services.scoring import bias_score

    t0 = (stub_exchange.state.anchor - timedelta(days=40)).replace(minute=0, second=0, microsecond=0)
    trades = random_history(random.Random(3), user=user, t0=t0, count=240)
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    trade_facts_refresh(user_id=user.id)
    last = max(t.ts for t in trades)
    new = [TradeFactory(user=user, ts=last + timedelta(hours=1 + n), symbol="BTC-USD", side=side, qty=D(1),
                        price=D(100 + n), fee=D(0), fee_asset="USD", quote_asset="USD")
           for n, side in enumerate(["BUY", "SELL", "BUY", "SELL"])]
    scored = bias_score(user_id=user.id, trade_ids=[], include_later=True)
    assert (scored.trades, scored.since) == (4, new[0].ts)

    returned: list[tuple[int, str]] = []

    def counting(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            returned.append((context["cursor"].rowcount, sql[:240]))
        return result

    with connection.execute_wrapper(counting):
        result = trade_facts_refresh(user_id=user.id, since=scored.since)
    assert 4 <= result.written <= result.trades < 30  # the new trades and the buys still open before them
    from apps.analytics.models import StreakDay

    from_trades = [(n, sql[:80]) for n, sql in returned if "brokers_candle" not in sql]  # not the bars held
    days = StreakDay.objects.filter(user=user).count()  # the streaks fold one row per day and quote
    assert days < 80
    assert sum(n for n, _ in from_trades) < 100 + days, from_trades
    assert len(returned) <= 24, len(returned)
    assert_same_state(read_model_state(user), full_rebuild_state(user))

    returned.clear()
    with connection.execute_wrapper(counting):
        assert trade_facts_refresh(user_id=user.id).trades == 244  # the full read, for comparison
    assert sum(n for n, sql in returned if "brokers_candle" not in sql) > 244
