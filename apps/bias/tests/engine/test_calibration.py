"""Personal calibration: a capped Bayesian update of five lines from the user's own history."""
from __future__ import annotations

import math

import pytest

from apps.bias.engine import RuleInput, score_trades
from apps.bias.engine.calibration import (
    CALIBRATION_KIND,
    SPECS,
    calibrate,
    calibrate_one,
    observations_from_inputs,
    thresholds_from_params,
)
from apps.bias.engine.heuristics import DEFAULT_THRESHOLDS

from .markets import Book, after_close, price_at, walk
from .scenarios import fomo

BTC = "BTC-USD"


def user_entries(*, count: int, rise: float | None, seed: int = 1) -> tuple[Book, dict]:
    """`count` round trips, each entry right after a 24-hour rise of `rise` (None: a calm, driftless market)."""
    shapes = () if rise is None else tuple((48 * k + 24, 24, rise) for k in range(2, count + 2))
    candles = walk(hours=48 * (count + 4), seed=seed, vol=0.002, shapes=shapes)
    book = Book()
    for k in range(2, count + 2):
        row = 48 * k + 47
        book.add(f"b{k}", BTC, "BUY", 1, price_at(candles, row), after_close(candles, row))
        book.add(f"s{k}", BTC, "SELL", 1, price_at(candles, row + 5), after_close(candles, row + 5))
    return book, {BTC: candles}


def calibrated_for(book: Book, candles: dict) -> dict | None:
    result = score_trades(trades=book.trades, candles=candles)
    days = {t.id: t.ts.date() for t in book.trades}
    rows = [(tag.trade_id, days[tag.trade_id], tag.features["inputs"]) for tag in result.tags]
    observations, trades = observations_from_inputs(rows)
    return calibrate(observations=observations, scored_trades=trades)


def test_a_user_who_buys_after_big_rises_gets_a_higher_fomo_line_never_past_the_cap():
    params = calibrated_for(*user_entries(count=20, rise=0.14))
    fomo_line = params["thresholds"]["FOMO_PCT_24H"]
    assert params["scored_trades"] == 40
    assert fomo_line["observations"] == 20 and fomo_line["observed"] > 0.13
    assert DEFAULT_THRESHOLDS["FOMO_PCT_24H"] < fomo_line["value"] <= 0.08 + SPECS["FOMO_PCT_24H"].cap
    assert fomo_line["value"] == pytest.approx(0.11) and fomo_line["capped"] is True


def test_a_user_who_buys_in_calm_markets_gets_a_lower_fomo_line_never_past_the_cap():
    params = calibrated_for(*user_entries(count=20, rise=None))
    fomo_line = params["thresholds"]["FOMO_PCT_24H"]
    assert fomo_line["observed"] < 0.03
    assert 0.08 - SPECS["FOMO_PCT_24H"].cap <= fomo_line["value"] < DEFAULT_THRESHOLDS["FOMO_PCT_24H"]
    rsi_line = params["thresholds"]["FOMO_RSI"]
    assert rsi_line["calibrated"] and 63.0 <= rsi_line["value"] <= 77.0


def test_fewer_than_thirty_scored_trades_keep_the_defaults():
    book, candles = user_entries(count=14, rise=0.14)  # 28 trades
    assert calibrated_for(book, candles) is None
    assert calibrate(observations={"FOMO_RSI": [90.0] * 29}, scored_trades=29) is None


def test_a_line_with_too_few_observations_keeps_its_default():
    params = calibrate(observations={"FOMO_RSI": [80.0] * 9}, scored_trades=40)
    assert params["thresholds"]["FOMO_RSI"] == {**params["thresholds"]["FOMO_RSI"], "value": 70.0, "calibrated": False}
    assert all(entry["value"] == DEFAULT_THRESHOLDS[name] for name, entry in params["thresholds"].items())


def posterior(default, prior_sd, observed, se):
    precision = 1 / prior_sd ** 2 + 1 / se ** 2
    return (default / prior_sd ** 2 + observed / se ** 2) / precision


def test_the_update_by_hand():
    # RSI at 20 entries: 60, 61, …, 79. The 90th percentile interpolates 77 and 78: 77.1. The 95 % ranks
    # 18 ∓ 1.96·√1.8 → the 15th and 20th values (74 and 79), so s = 5 / 3.92.
    entry = calibrate_one(SPECS["FOMO_RSI"], [60.0 + k for k in range(20)])
    se = 5 / (2 * 1.96)
    assert entry["observed"] == pytest.approx(77.1)
    assert entry["observed_se"] == pytest.approx(se, abs=1e-6)
    expected = posterior(70.0, 5.0, 77.1, se)
    assert entry["posterior"] == pytest.approx(expected, abs=1e-6)
    assert entry["value"] == pytest.approx(expected, abs=0.01) and entry["capped"] is False
    assert entry["posterior_sd"] == pytest.approx(math.sqrt(1 / (1 / 25 + 1 / se ** 2)), abs=1e-6)

    # the 24-hour rise at 20 entries: 0.00 … 0.19 → x̂ 0.171, a posterior past 0.08 + 0.03: capped at 0.11
    rise = calibrate_one(SPECS["FOMO_PCT_24H"], [k / 100 for k in range(20)])
    assert rise["posterior"] == pytest.approx(posterior(0.08, 0.02, 0.171, 0.05 / 3.92), abs=1e-6)
    assert (rise["value"], rise["capped"]) == (0.11, True)


def test_a_stored_calibration_is_clipped_to_its_caps_and_tolerates_junk():
    values = thresholds_from_params({"thresholds": {"FOMO_RSI": {"value": 95.0}, "PANIC_DRAWDOWN": {"value": "x"},
                                                    "OVERTRADING_MULTIPLE": {"value": 2.5}}})
    assert values == {**DEFAULT_THRESHOLDS, "FOMO_RSI": 77.0, "OVERTRADING_MULTIPLE": 2.5}
    assert thresholds_from_params({}) is None and thresholds_from_params({"thresholds": []}) is None


def test_scoring_uses_an_applied_calibration_and_each_tag_records_its_lines():
    scenario = fomo(seed=2, total=0.10)
    default = score_trades(trades=scenario.book.trades, candles=scenario.candles, target_ids={"fomo"})
    assert [t.label for t in default.tags] == ["FOMO"]
    assert default.tags[0].features["thresholds"] == {"source": "default", "values": DEFAULT_THRESHOLDS}

    rule = RuleInput(kind=CALIBRATION_KIND, params={"thresholds": {"FOMO_PCT_24H": {"value": 0.11}}})
    calibrated = score_trades(trades=scenario.book.trades, candles=scenario.candles, rules=[rule], target_ids={"fomo"})
    tag = calibrated.tags[0]
    assert tag.label == "NONE"
    assert tag.features["thresholds"] == {"source": "calibrated", "values": {**DEFAULT_THRESHOLDS, "FOMO_PCT_24H": 0.11}}
    move = next(c for c in tag.features["conditions"] if c["name"] == "pct_change_24h_before")
    assert (move["threshold"], move["fired"]) == (0.11, False)
    assert tag.features["rules"] == []  # the calibration is not a per-trade rule


@pytest.mark.parametrize(("name", "values", "direction"), [
    ("PANIC_DRAWDOWN", [0.08 + k / 1000 for k in range(40)], +1),   # exits usually deep in a slide
    ("PANIC_DRAWDOWN", [k / 1000 for k in range(40)], -1),          # exits near the highs
    ("OVERTRADING_MULTIPLE", [1.0 + k / 100 for k in range(40)], -1),  # steady days
    ("OVERTRADING_MULTIPLE", [3.0 + k / 10 for k in range(40)], +1),   # bursty days are normal for this user
    ("OVERCONFIDENCE_SIZE_RATIO", [0.9 + k / 200 for k in range(40)], -1),  # sizes barely vary
    ("OVERCONFIDENCE_SIZE_RATIO", [1.5 + k / 20 for k in range(40)], +1),   # sizes vary widely
])
def test_every_line_moves_toward_the_users_own_percentile_within_its_cap(name, values, direction):
    entry = calibrate(observations={name: values}, scored_trades=40)["thresholds"][name]
    default, cap = DEFAULT_THRESHOLDS[name], SPECS[name].cap
    assert (entry["value"] - default) * direction > 0
    assert abs(entry["value"] - default) <= cap + 1e-12
