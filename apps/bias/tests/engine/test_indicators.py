"""Indicator values against a published reference and against plain textbook loops."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from ta.volatility import AverageTrueRange, BollingerBands

from apps.bias.engine import compute_indicators

from .markets import walk

# Wilder's RSI worked example as published by StockCharts (ChartSchool, "Relative Strength Index"
# spreadsheet, QQQQ closes), with the published 14-day RSI from the 15th close on.
STOCKCHARTS_CLOSES = [
    44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826, 45.8931,
    46.0328, 45.6140, 46.2820, 46.2820, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439, 46.2122, 46.2521,
    45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672, 43.4205, 42.6628, 43.1314,
]
STOCKCHARTS_RSI = [
    70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99, 41.46, 41.87,
    45.46, 37.30, 33.08, 37.77,
]


def frame(close, high=None, low=None, volume=None) -> pd.DataFrame:
    close = np.asarray(close, dtype=float)
    index = pd.date_range("2024-01-01", periods=len(close), freq="1h", tz="UTC")
    return pd.DataFrame({
        "open": close, "high": close if high is None else high, "low": close if low is None else low,
        "close": close, "volume": np.ones(len(close)) if volume is None else volume,
    }, index=index)


# ---- textbook references, one step at a time ------------------------------------------------------------

def reference_rsi(close: list[float], n: int = 14) -> list[float | None]:
    out: list[float | None] = [None] * len(close)
    gains = [0.0] + [max(close[i] - close[i - 1], 0.0) for i in range(1, len(close))]
    losses = [0.0] + [max(close[i - 1] - close[i], 0.0) for i in range(1, len(close))]
    if len(close) <= n:
        return out
    avg_gain = sum(gains[1:n + 1]) / n
    avg_loss = sum(losses[1:n + 1]) / n
    for i in range(n, len(close)):
        if i > n:
            avg_gain = (avg_gain * (n - 1) + gains[i]) / n
            avg_loss = (avg_loss * (n - 1) + losses[i]) / n
        if avg_loss == 0:
            out[i] = 100.0 if avg_gain > 0 else 50.0
        else:
            out[i] = 100 - 100 / (1 + avg_gain / avg_loss)
    return out


def reference_atr(high, low, close, n: int = 14) -> list[float | None]:
    tr = []
    for i in range(len(close)):
        if i == 0:
            tr.append(high[0] - low[0])
        else:
            tr.append(max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1])))
    out: list[float | None] = [None] * len(close)
    if len(close) < n:
        return out
    value = sum(tr[:n]) / n
    out[n - 1] = value
    for i in range(n, len(close)):
        value = (value * (n - 1) + tr[i]) / n
        out[i] = value
    return out


def reference_bollinger(close, n: int = 20, k: float = 2.0):
    rows = []
    for i in range(len(close)):
        if i < n - 1:
            rows.append(None)
            continue
        window = close[i - n + 1:i + 1]
        mean = sum(window) / n
        std = math.sqrt(sum((x - mean) ** 2 for x in window) / n)
        upper, lower = mean + k * std, mean - k * std
        rows.append((mean, upper, lower, (close[i] - lower) / (upper - lower) if upper > lower else None))
    return rows


def assert_close(actual: np.ndarray, expected: list, tol: float) -> None:
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        if e is None:
            assert math.isnan(a), f"row {i}: expected no value, got {a}"
        else:
            assert abs(a - e) <= tol, f"row {i}: {a} != {e}"


# ---- the published example ------------------------------------------------------------------------------

def test_rsi_matches_the_stockcharts_worked_example():
    rsi = compute_indicators(frame(STOCKCHARTS_CLOSES))["RSI_14"].to_numpy()
    assert np.isnan(rsi[:14]).all()
    assert_close(rsi[14:], STOCKCHARTS_RSI, 0.01)
    assert rsi[-1] == pytest.approx(37.77295211, abs=1e-6)


# ---- against the step-by-step definitions ------------------------------------------------------------

SERIES = {
    "random walk": walk(hours=400, seed=7, vol=0.01),
    "trend with gaps up and down": walk(hours=300, seed=11, vol=0.004, drift=0.001, shapes=((100, 5, 0.2), (200, 3, -0.15))),
}


@pytest.mark.parametrize("name", list(SERIES))
def test_rsi_atr_bollinger_follow_the_textbook_definitions(name):
    candles = SERIES[name]
    result = compute_indicators(candles)
    close, high, low = (candles[c].tolist() for c in ("close", "high", "low"))
    assert_close(result["RSI_14"].to_numpy(), reference_rsi(close), 0.01)
    assert_close(result["ATR_14"].to_numpy(), reference_atr(high, low, close), 1e-9)
    bands = reference_bollinger(close)
    assert_close(result["BB_mid"].to_numpy(), [b and b[0] for b in bands], 1e-9)
    assert_close(result["BB_upper"].to_numpy(), [b and b[1] for b in bands], 1e-9)
    assert_close(result["BB_lower"].to_numpy(), [b and b[2] for b in bands], 1e-9)
    assert_close(result["BB_pos"].to_numpy(), [b and b[3] for b in bands], 1e-9)
    atr_rel = [a / c if a is not None else None for a, c in zip(reference_atr(high, low, close), close, strict=True)]
    assert_close(result["ATR_rel"].to_numpy(), atr_rel, 1e-12)


def test_atr_and_bollinger_agree_with_the_ta_library():
    candles = SERIES["random walk"]
    result = compute_indicators(candles)
    atr = AverageTrueRange(candles["high"], candles["low"], candles["close"], window=14).average_true_range()
    # ta reports 0 before its first value; both seed with the simple mean of the first 14 true ranges
    assert np.allclose(result["ATR_14"].to_numpy()[13:], atr.to_numpy()[13:], atol=1e-9)
    bands = BollingerBands(candles["close"], window=20, window_dev=2)
    assert np.allclose(result["BB_upper"].to_numpy()[19:], bands.bollinger_hband().to_numpy()[19:], atol=1e-9)
    assert np.allclose(result["BB_pos"].to_numpy()[19:], bands.bollinger_pband().to_numpy()[19:], atol=1e-9)


def test_rsi_on_hand_made_series():
    rising = compute_indicators(frame(np.arange(1.0, 31.0)))["RSI_14"].to_numpy()
    falling = compute_indicators(frame(np.arange(31.0, 1.0, -1.0)))["RSI_14"].to_numpy()
    flat = compute_indicators(frame(np.full(30, 5.0)))["RSI_14"].to_numpy()
    assert (rising[14:] == 100.0).all()
    assert (falling[14:] == 0.0).all()
    assert (flat[14:] == 50.0).all()
    # one loss among equal gains: avg gain 13/14, avg loss 1/14 → RSI 92.857…
    zigzag = [10.0] + [10.0 + i for i in range(1, 14)] + [22.0]
    assert compute_indicators(frame(zigzag))["RSI_14"].iloc[14] == pytest.approx(100 - 100 / (1 + 13), abs=1e-9)


def test_short_series_has_no_values_rather_than_wrong_ones():
    result = compute_indicators(frame([1.0, 2.0, 3.0]))
    for column in ("RSI_14", "ATR_14", "BB_pos", "SMA_50", "volume_ratio", "support"):
        assert result[column].isna().all(), column
    assert result["bars"].tolist() == [1.0, 2.0, 3.0]


def test_flat_bands_have_no_percent_b():
    result = compute_indicators(frame(np.full(25, 7.0)))
    assert result["BB_pos"].isna().all()


def test_moves_drawdown_volume_and_support():
    close = [100.0] * 30 + [110.0, 99.0]
    volume = [10.0] * 31 + [40.0]
    high = [c + 1 for c in close]
    low = [c - 1 for c in close]
    result = compute_indicators(frame(close, high=high, low=low, volume=volume))
    last = result.iloc[-1]
    assert last["pct_change_1h"] == pytest.approx(99 / 110 - 1)
    assert last["pct_change_24h"] == pytest.approx(99 / 100 - 1)
    assert last["high_7d"] == 111.0
    assert last["drawdown_recent"] == pytest.approx((111 - 99) / 111)
    assert last["volume_ratio"] == pytest.approx(40 / ((19 * 10 + 40) / 20))
    assert math.isnan(last["support"])  # 32 candles < 48
    assert last["coverage_7d"] == 1.0


def test_time_windows_follow_the_clock_not_the_row_count():
    candles = walk(hours=100, seed=3)
    gappy = candles.drop(candles.index[50:60])  # ten missing hours
    result = compute_indicators(gappy)
    row = gappy.index.get_loc(candles.index[70])
    expected = candles["close"].iloc[70] / candles["close"].iloc[46] - 1
    assert result["pct_change_24h"].iloc[row] == pytest.approx(expected)
    assert result["coverage_7d"].iloc[row] == pytest.approx(61 / 71)


def test_sma_gap_and_wilder_seed_with_exact_numbers():
    close = list(range(1, 61))
    result = compute_indicators(frame([float(c) for c in close]))
    assert result["SMA_50"].iloc[49] == pytest.approx(25.5)
    assert result["gap_from_MA"].iloc[59] == pytest.approx((60 - 35.5) / 35.5)
    # high = low = close: the first true range is high − low = 0, every later one is 1; the seed is the
    # simple mean of the first 14 (13/14), then Wilder smoothing
    assert math.isnan(result["ATR_14"].iloc[12])
    assert result["ATR_14"].iloc[13] == pytest.approx(13 / 14)
    assert result["ATR_14"].iloc[14] == pytest.approx((13 / 14 * 13 + 1) / 14)
