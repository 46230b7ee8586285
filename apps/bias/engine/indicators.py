"""Indicators, computed once per symbol series (vectorised), never per trade.

Conventions (FORMATS.md, so values match charting platforms once history is long enough):

- RSI(14): Wilder. Changes d_i = close_i − close_{i−1}; the first average gain/loss is the simple mean of
  the first 14 gains/losses (available at the 15th close); then avg_i = (avg_{i−1}·13 + x_i) / 14.
  RSI = 100 − 100 / (1 + avg_gain / avg_loss); 100 when avg_loss = 0 (50 when both are 0).
- ATR(14): true range TR_0 = high − low, TR_i = max(high − low, |high − close_{i−1}|, |low − close_{i−1}|);
  the first ATR is the simple mean of the first 14 TRs (at the 14th candle), then Wilder smoothing.
- Bollinger(20, 2): middle = SMA 20 of close, bands = middle ± 2 × population std (ddof = 0);
  BB_pos = %B = (close − lower) / (upper − lower), null when the bands have zero width.
- SMA_50, gap_from_MA = (close − SMA_50) / SMA_50; ATR_rel = ATR_14 / close;
  volume_ratio = volume / mean volume of the 20 candles ending at this one.
- pct_change_1h / pct_change_24h: close / (close of the candle that opened 1 h / 24 h earlier, or the
  latest one before that) − 1 (time based, so gaps in the series do not shift the window).
  pct_change_1h is null for candles longer than an hour.
- high_7d: highest high of the candles opened in the last 7 days (time window, this candle included);
  drawdown_recent = (high_7d − close) / high_7d.
- support: lowest low of the last ``SUPPORT_CANDLES`` candles (this one included); null until that many
  candles exist.
- History columns: ``bars`` = candles available up to and including this one; ``coverage_7d`` = candles
  present in the last 7 days / candles expected there (since the series start when that is later), so it
  measures gaps, not the length of the history.

The Wilder recursion is an exponential average with α = 1/n seeded by the simple mean, so it runs as one
``ewm(adjust=False)`` per series (compiled), not a Python loop.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

RSI_PERIOD = 14
ATR_PERIOD = 14
BB_PERIOD = 20
BB_STDS = 2.0
SMA_PERIOD = 50
VOLUME_PERIOD = 20
SUPPORT_CANDLES = 48
HIGH_WINDOW = pd.Timedelta(days=7)

INDICATOR_COLUMNS = (
    "RSI_14", "ATR_14", "ATR_rel", "BB_upper", "BB_lower", "BB_mid", "BB_pos", "SMA_50", "gap_from_MA",
    "volume_ratio", "pct_change_1h", "pct_change_24h", "high_7d", "drawdown_recent", "support", "bars",
    "coverage_7d",
)


def candle_interval(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The series' candle length: the median spacing of open times (1 h when it cannot be told)."""
    if len(index) < 2:
        return pd.Timedelta(hours=1)
    diffs = np.diff(index.asi8)
    return pd.Timedelta(int(np.median(diffs)), unit=_unit_of(index))


def _unit_of(index: pd.DatetimeIndex) -> str:
    return np.datetime_data(index.dtype.base if hasattr(index.dtype, "base") else index.dtype)[0]


def wilder_average(values: np.ndarray, period: int, first: int) -> np.ndarray:
    """Wilder smoothing of ``values``: the simple mean of ``values[first:first+period]`` at index
    ``first + period − 1``, then avg_i = avg_{i−1} + (x_i − avg_{i−1}) / period. NaN before the seed."""
    out = np.full(len(values), np.nan)
    seed_at = first + period - 1
    if len(values) <= seed_at:
        return out
    series = np.full(len(values), np.nan)
    series[seed_at] = values[first:seed_at + 1].mean()
    series[seed_at + 1:] = values[seed_at + 1:]
    smoothed = pd.Series(series).ewm(alpha=1.0 / period, adjust=False).mean().to_numpy()
    out[seed_at:] = smoothed[seed_at:]
    return out


def rsi(close: np.ndarray, period: int = RSI_PERIOD) -> np.ndarray:
    delta = np.empty(len(close))
    delta[0] = np.nan
    delta[1:] = np.diff(close)
    gains = np.where(delta > 0, delta, 0.0)
    losses = np.where(delta < 0, -delta, 0.0)
    avg_gain = wilder_average(gains, period, first=1)
    avg_loss = wilder_average(losses, period, first=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    value = np.where((avg_loss == 0) & (avg_gain > 0), 100.0, value)
    value = np.where((avg_loss == 0) & (avg_gain == 0), 50.0, value)
    value[np.isnan(avg_gain)] = np.nan
    return value


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    previous = np.empty(len(close))
    previous[0] = np.nan
    previous[1:] = close[:-1]
    ranges = np.vstack([high - low, np.abs(high - previous), np.abs(low - previous)])
    return np.nanmax(ranges, axis=0) if len(close) else np.empty(0)


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = ATR_PERIOD) -> np.ndarray:
    return wilder_average(true_range(high, low, close), period, first=0)


def compute_indicators(candles: pd.DataFrame, *, interval: pd.Timedelta | None = None) -> pd.DataFrame:
    """Indicator columns for one symbol's candles.

    ``candles``: UTC ``DatetimeIndex`` of candle OPEN times, ascending, float columns
    open/high/low/close/volume. Returns a copy with the columns in ``INDICATOR_COLUMNS`` added; each row
    describes the market as of that candle's close (open time + ``interval``).
    """
    frame = candles.copy()
    if not isinstance(frame.index, pd.DatetimeIndex):
        frame.index = pd.to_datetime(frame.index, utc=True)
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index()
    step = interval if interval is not None else candle_interval(frame.index)
    for name, values in indicator_arrays(frame, step).items():
        frame[name] = values
    return frame


def indicator_arrays(frame: pd.DataFrame, step: pd.Timedelta) -> dict[str, np.ndarray]:
    """``compute_indicators``' columns as arrays, in the order it adds them, for candles already in time
    order (``DatetimeIndex``) with candles of ``step``: the work without building a frame of them."""
    close = frame["close"].to_numpy(dtype=float)
    high = frame["high"].to_numpy(dtype=float)
    low = frame["low"].to_numpy(dtype=float)
    volume = frame["volume"].to_numpy(dtype=float) if "volume" in frame else np.full(len(frame), np.nan)
    close_s = pd.Series(close, index=frame.index)
    columns = {"RSI_14": rsi(close)}
    atr_values = atr(high, low, close)
    columns["ATR_14"] = atr_values
    columns["ATR_rel"] = atr_values / close

    mid = close_s.rolling(BB_PERIOD, min_periods=BB_PERIOD).mean().to_numpy()
    std = close_s.rolling(BB_PERIOD, min_periods=BB_PERIOD).std(ddof=0).to_numpy()
    upper, lower = mid + BB_STDS * std, mid - BB_STDS * std
    width = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        columns["BB_pos"] = np.where(width > 0, (close - lower) / width, np.nan)
    columns["BB_upper"], columns["BB_lower"], columns["BB_mid"] = upper, lower, mid

    sma = close_s.rolling(SMA_PERIOD, min_periods=SMA_PERIOD).mean().to_numpy()
    columns["SMA_50"] = sma
    columns["gap_from_MA"] = (close - sma) / sma
    volume_mean = pd.Series(volume).rolling(VOLUME_PERIOD, min_periods=VOLUME_PERIOD).mean().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        columns["volume_ratio"] = np.where(volume_mean > 0, volume / volume_mean, np.nan)

    columns["pct_change_1h"] = (
        _pct_change_over(close_s, pd.Timedelta(hours=1)) if step <= pd.Timedelta(hours=1)
        else np.full(len(close), np.nan)
    )
    columns["pct_change_24h"] = _pct_change_over(close_s, pd.Timedelta(hours=24))

    high_7d = pd.Series(high, index=frame.index).rolling(HIGH_WINDOW).max().to_numpy()
    columns["high_7d"] = high_7d
    columns["drawdown_recent"] = (high_7d - close) / high_7d
    columns["support"] = pd.Series(low).rolling(SUPPORT_CANDLES, min_periods=SUPPORT_CANDLES).min().to_numpy()
    columns["bars"] = np.arange(1, len(frame) + 1, dtype=float)
    present = close_s.rolling(HIGH_WINDOW).count().to_numpy()
    since_start = (frame.index - frame.index[0]) / step + 1 if len(frame) else np.empty(0)
    expected = np.minimum(HIGH_WINDOW / step, np.asarray(since_start, dtype=float))
    columns["coverage_7d"] = np.minimum(1.0, present / expected)
    return columns


def _pct_change_over(close: pd.Series, span: pd.Timedelta) -> np.ndarray:
    """close_t / close_{latest candle opened at or before t − span} − 1 (NaN before the series starts)."""
    index = close.index
    positions = index.searchsorted(index - span, side="right") - 1
    values = close.to_numpy()
    result = np.full(len(values), np.nan)
    valid = positions >= 0
    base = values[positions[valid]]
    with np.errstate(divide="ignore", invalid="ignore"):
        result[valid] = values[valid] / base - 1.0
    return result
