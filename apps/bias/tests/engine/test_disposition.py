"""Odean's disposition effect on hand-counted histories: sale days, average cost, day ranges."""
from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import pandas as pd
import pytest

from apps.bias.engine import score_trades
from apps.bias.engine.disposition import daily_ranges, figures

from .markets import START, Book

BTC, ETH, SOL, DOGE = "BTC-USD", "ETH-USD", "SOL-USD", "DOGE-USD"


def day(n: int, hour: int = 0, minute: int = 0):
    return START + timedelta(days=n, hours=hour, minutes=minute)


def ranges(days: list[tuple[float, float]]) -> pd.DataFrame:
    """Hourly candles whose UTC day n spans exactly days[n] = (low, high): the high printed at 03:00, the
    low at 20:00, every other hour at the middle."""
    rows = []
    for low, high in days:
        mid = (low + high) / 2
        for hour in range(24):
            rows.append({"open": mid, "close": mid, "volume": 1.0,
                         "high": high if hour == 3 else mid, "low": low if hour == 20 else mid})
    index = pd.date_range(START, periods=len(rows), freq="1h")
    return pd.DataFrame(rows, index=index)


def hand_counted_book() -> tuple[Book, dict]:
    book = Book()
    # day 0: buys only, no sale day
    book.add("b-btc-100", BTC, "BUY", 1, 100, day(0, 10))
    book.add("b-btc-80", BTC, "BUY", 1, 80, day(0, 11))
    book.add("b-eth", ETH, "BUY", 2, 10, day(0, 12))
    # day 1: BTC (average 90) sold at 95 → RG, although FIFO sells the 100 lot at a loss;
    #        ETH held, the day's low 11 above its average 10 → PG
    book.add("s-btc-95", BTC, "SELL", 1, 95, day(1, 10))
    # day 2: a same-day buy of SOL (not held at the start of the day: not counted);
    #        two sales of ETH on one day → one count: 0.5 × (+2) + 0.5 × (−1) > 0 → RG;
    #        BTC held, the day's high 85 below its average 90 → PL
    book.add("b-sol", SOL, "BUY", 1, 50, day(2, 8))
    book.add("s-eth-12", ETH, "SELL", "0.5", 12, day(2, 9))
    book.add("s-eth-9", ETH, "SELL", "0.5", 9, day(2, 15))
    # day 3: SOL sold under its average → RL; BTC's day straddles 90 (85–95) → neither;
    #        ETH (average 10) with a high of 9 → PL
    book.add("s-sol", SOL, "SELL", 1, 40, day(3, 10))
    # day 4: ETH sold at 12 over 10 → RG; BTC's low 100 above 90 → PG
    book.add("s-eth-rest", ETH, "SELL", 1, 12, day(4, 10))
    # day 5: only BTC is held and sold (a one-market portfolio: not counted, as in the paper);
    #        a DOGE sale with no known buy cannot be classified
    book.add("s-btc-last", BTC, "SELL", 1, 100, day(5, 10))
    book.add("s-doge", DOGE, "SELL", 10, 1, day(5, 11))
    candles = {
        BTC: ranges([(79, 101), (90, 96), (70, 85), (85, 95), (100, 110), (99, 101)]),
        ETH: ranges([(9, 11), (11, 12), (8, 13), (7, 9), (11, 13), (11, 13)]),
        SOL: ranges([(45, 55), (45, 55), (45, 55), (38, 42), (38, 42), (38, 42)]),
    }
    return book, candles


def test_hand_counted_history():
    book, candles = hand_counted_book()
    result = score_trades(trades=book.trades, candles=candles)
    d = result.disposition
    assert (d["RG"], d["RL"], d["PG"], d["PL"]) == (3, 1, 2, 2)
    assert d["PGR"] == 0.6 and d["PLR"] == pytest.approx(1 / 3, abs=1e-6)
    assert d["PGR_minus_PLR"] == pytest.approx(0.6 - 1 / 3, abs=1e-6)
    se = math.sqrt(0.6 * 0.4 / 5 + (1 / 3) * (2 / 3) / 3)
    assert d["standard_error"] == pytest.approx(se, abs=1e-6)
    assert d["t_stat"] == pytest.approx((0.6 - 1 / 3) / se, abs=1e-5)
    assert d["significance"] == "too_few"
    assert (d["sale_days"], d["single_market_days"], d["sales_unknown"], d["paper_unpriced"]) == (5, 1, 1, 0)
    per_day = {row["date"]: (row["RG"], row["RL"], row["PG"], row["PL"], row["counted"]) for row in d["days"]}
    assert per_day == {"2024-03-02": (1, 0, 1, 0, True), "2024-03-03": (1, 0, 0, 1, True),
                       "2024-03-04": (0, 1, 0, 1, True), "2024-03-05": (1, 0, 1, 0, True),
                       "2024-03-06": (0, 0, 0, 0, False)}
    # the realised P/L shown elsewhere stays first-in-first-out: the 100 lot sold at 95
    assert result.positions["s-btc-95"].realized_pnl == Decimal("-5")


def test_the_period_narrows_the_count_by_sale_day():
    book, candles = hand_counted_book()
    narrowed = score_trades(trades=book.trades, candles=candles, disposition_since=day(2),
                            disposition_until=day(4)).disposition
    assert (narrowed["RG"], narrowed["RL"], narrowed["PG"], narrowed["PL"]) == (1, 1, 0, 2)
    assert narrowed["PGR"] == 1.0 and narrowed["PLR"] == pytest.approx(1 / 3, abs=1e-6)
    assert narrowed["sale_days"] == 2
    # a day counts when part of it lies in the period; the per-day list always covers the whole history
    partial = score_trades(trades=book.trades, candles=candles, disposition_since=day(3, 23),
                           disposition_until=day(4, 1)).disposition
    assert (partial["RG"], partial["RL"], partial["PG"], partial["PL"], partial["sale_days"]) == (1, 1, 1, 1, 2)
    assert len(partial["days"]) == 5


def test_a_held_market_without_candles_that_day_is_unpriced_not_a_paper_count():
    book = Book()
    book.add("b1", BTC, "BUY", 1, 100, day(0, 1))
    book.add("b2", ETH, "BUY", 1, 10, day(0, 2))
    book.add("s1", ETH, "SELL", 1, 9, day(1, 5))
    d = score_trades(trades=book.trades, candles={ETH: ranges([(9, 11), (8, 10)])}).disposition
    assert (d["RG"], d["RL"], d["PG"], d["PL"], d["paper_unpriced"]) == (0, 1, 0, 0, 1)
    assert d["PGR"] is None and d["PGR_minus_PLR"] is None


def test_a_position_closed_and_reopened_starts_a_new_average():
    book = Book()
    book.add("b-eth", ETH, "BUY", 1, 10, day(0, 1))
    book.add("b1", BTC, "BUY", 1, 100, day(0, 2))
    book.add("s1", BTC, "SELL", 1, 100, day(1, 2))  # at the average: neither; ETH 11–12 → PG
    book.add("b2", BTC, "BUY", 1, 50, day(1, 3))
    book.add("s2", BTC, "SELL", 1, 60, day(2, 3))  # new average 50 → RG; ETH 8–9 → PL
    candles = {ETH: ranges([(9, 11), (11, 12), (8, 9)])}
    d = score_trades(trades=book.trades, candles=candles).disposition
    assert (d["RG"], d["RL"], d["PG"], d["PL"]) == (1, 0, 1, 1)


def test_days_are_utc_days_of_the_hourly_candles():
    frame = ranges([(1, 2), (3, 5)])
    frame.index = frame.index.tz_convert("Europe/Paris")  # the same instants in another zone
    assert daily_ranges(frame) == {day(0).date(): (1.0, 2.0), day(1).date(): (3.0, 5.0)}


@pytest.mark.parametrize(("counts", "expected"), [
    ({"RG": 60, "PG": 40, "RL": 30, "PL": 70}, (0.6, 0.3, 0.3, math.sqrt(0.24 / 100 + 0.21 / 100), "significant")),
    ({"RG": 12, "PG": 12, "RL": 11, "PL": 13},
     (0.5, 11 / 24, 0.5 - 11 / 24, math.sqrt(0.25 / 24 + (11 / 24) * (13 / 24) / 24), "not_significant")),
    ({"RG": 3, "PG": 2, "RL": 1, "PL": 2}, (0.6, 1 / 3, 0.6 - 1 / 3, math.sqrt(0.048 + 2 / 27), "too_few")),
])
def test_figures_and_significance(counts, expected):
    out = figures(**counts)
    pgr, plr, effect, se, verdict = expected
    assert out["PGR"] == pytest.approx(pgr, abs=1e-6)
    assert out["PLR"] == pytest.approx(plr, abs=1e-6)
    assert out["PGR_minus_PLR"] == pytest.approx(effect, abs=1e-6)
    assert out["standard_error"] == pytest.approx(se, abs=1e-6)
    assert out["t_stat"] == pytest.approx(effect / se, abs=1e-5)
    assert out["significance"] == verdict


def test_no_losses_at_all_leaves_the_effect_undefined():
    out = figures(RG=20, PG=20, RL=0, PL=0)
    assert (out["PGR"], out["PLR"], out["PGR_minus_PLR"], out["t_stat"], out["significance"]) == (0.5, None, None, None,
                                                                                                    "too_few")
