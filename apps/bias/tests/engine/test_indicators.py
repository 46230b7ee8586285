"""Indicator values against published reference tables and against plain textbook loops."""
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


# Wilder's ATR worked example as published by StockCharts (ChartSchool, "Average True Range" spreadsheet
# cs-atr.xls, QQQQ daily bars from 1 April 2010): high, low, close, and the published 14-day ATR from the
# 14th bar on (seeded with the simple mean of the first 14 true ranges, the first being high − low).
STOCKCHARTS_ATR_BARS = [  # (high, low, close)
    (48.70, 47.79, 48.16), (48.72, 48.14, 48.61), (48.90, 48.39, 48.75), (48.87, 48.37, 48.63),
    (48.82, 48.24, 48.74), (49.05, 48.635, 49.03), (49.20, 48.94, 49.07), (49.35, 48.86, 49.32),
    (49.92, 49.50, 49.91), (50.19, 49.87, 50.13), (50.12, 49.20, 49.53), (49.66, 48.90, 49.50),
    (49.88, 49.43, 49.75), (50.19, 49.725, 50.03), (50.36, 49.26, 50.31), (50.57, 50.09, 50.52),
    (50.65, 50.30, 50.41), (50.43, 49.21, 49.34), (49.63, 48.98, 49.37), (50.33, 49.61, 50.23),
    (50.29, 49.20, 49.2375), (50.17, 49.43, 49.93), (49.32, 48.08, 48.43), (48.50, 47.64, 48.18),
    (48.3201, 41.55, 46.57), (46.80, 44.2833, 45.41), (47.80, 47.31, 47.77), (48.39, 47.20, 47.72),
    (48.66, 47.90, 48.62), (48.79, 47.7301, 47.85),
]
STOCKCHARTS_ATR = [
    0.555, 0.5939285714, 0.5857908163, 0.5689486152, 0.6154522855, 0.6179199794, 0.6423542666, 0.6743289618,
    0.6927697503, 0.7754290538, 0.7814698357, 1.209229133, 1.302619909, 1.380289916, 1.366697779, 1.336219366,
    1.316482269,
]

# Bollinger Bands (20, 2) worked example as published by StockCharts (ChartSchool, "Bollinger Bands"
# spreadsheet cs-bbands.xls, daily closes from 1 May 2009): closes, then the published middle band, upper
# band and lower band from the 20th close on (population standard deviation).
STOCKCHARTS_BB_CLOSES = [
    86.1557, 89.0867, 88.7829, 90.3228, 89.0671, 91.1453, 89.4397, 89.1750, 86.9302, 87.6752, 86.9596, 89.4299,
    89.3221, 88.7241, 87.4497, 87.2634, 89.4985, 87.9006, 89.1260, 90.7043, 92.9001, 92.9784, 91.8021, 92.6647,
    92.6843, 92.3021, 92.7725, 92.5373, 92.9490, 93.2039, 91.0669, 89.8318, 89.7435, 90.3994, 90.7387, 88.0177,
    88.0867, 86.8439, 90.7781, 90.5416, 91.3894, 90.6500,
]
STOCKCHARTS_BB = [  # (middle, upper, lower)
    (88.707940, 91.291862, 86.124018), (89.045160, 91.949268, 86.141052), (89.239745, 92.612595, 85.866895),
    (89.390705, 92.934200, 85.847210), (89.507800, 93.311950, 85.703650), (89.688660, 93.728450, 85.648870),
    (89.746500, 93.899592, 85.593408), (89.913140, 94.266255, 85.560025), (90.081255, 94.565096, 85.597414),
    (90.382195, 94.786912, 85.977478), (90.658630, 95.043001, 86.274259), (90.863995, 94.907605, 86.820385),
    (90.884090, 94.902912, 86.865268), (90.905160, 94.895320, 86.915000), (90.988925, 94.861013, 87.116837),
    (91.153375, 94.673629, 87.633121), (91.191090, 94.556593, 87.825587), (91.120500, 94.678752, 87.562248),
    (91.067665, 94.840502, 87.294828), (91.150270, 94.820387, 87.480153), (91.142135, 94.816889, 87.467381),
    (91.066600, 94.654793, 87.478407), (90.950180, 94.432224, 87.468136),
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


def test_atr_matches_the_stockcharts_worked_example():
    high, low, close = (list(column) for column in zip(*STOCKCHARTS_ATR_BARS, strict=True))
    result = compute_indicators(frame(close, high=high, low=low))
    atr = result["ATR_14"].to_numpy()
    assert np.isnan(atr[:13]).all()
    assert_close(atr[13:], STOCKCHARTS_ATR, 0.01)
    assert atr[-1] == pytest.approx(STOCKCHARTS_ATR[-1], abs=1e-6)
    # ATR_rel, the feature the labels read, is that ATR over the bar's close
    assert_close(result["ATR_rel"].to_numpy()[13:], [a / c for a, c in zip(STOCKCHARTS_ATR, close[13:], strict=True)],
                 1e-6)


def test_bollinger_matches_the_stockcharts_worked_example():
    result = compute_indicators(frame(STOCKCHARTS_BB_CLOSES))
    assert result["BB_mid"].iloc[:19].isna().all()
    middle, upper, lower = (list(column) for column in zip(*STOCKCHARTS_BB, strict=True))
    assert_close(result["BB_mid"].to_numpy()[19:], middle, 0.01)
    assert_close(result["BB_upper"].to_numpy()[19:], upper, 0.01)
    assert_close(result["BB_lower"].to_numpy()[19:], lower, 0.01)
    # %B (BB_pos, the feature the labels read) from the published bands
    published_b = [(c - lo) / (up - lo) for c, up, lo in zip(STOCKCHARTS_BB_CLOSES[19:], upper, lower, strict=True)]
    assert_close(result["BB_pos"].to_numpy()[19:], published_b, 0.01)
    assert result["BB_upper"].iloc[-1] == pytest.approx(94.432224, abs=1e-5)


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
