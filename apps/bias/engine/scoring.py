"""score_trades: features (vectorised per symbol), positions, history, labels, disposition.

As-of join: candles are indexed by OPEN time. A trade at time t sees the last candle whose CLOSE time
(open + candle length) is at or before t — the newest fully formed candle, so no indicator uses a price
printed after the trade. The join is ``pd.merge_asof(direction="backward")`` on the close time, with a
tolerance of 3 candles, done as a binary search of the close times (``np.searchsorted``): a trade further
than that from any closed candle has no candle features (those conditions are marked not evaluable).
"""
from __future__ import annotations

import bisect
import gc
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import ge

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from . import heuristics as h
from .calibration import CALIBRATION_KIND, thresholds_from_params
from .disposition import disposition_days, disposition_summary
from .heuristics import round_to_4
from .indicators import SUPPORT_CANDLES, candle_interval, indicator_arrays
from .positions import match_ordered, subtract_as_instants, trade_order
from .rules import evaluate_rules, parse_rules
from .types import ENGINE_VERSION, RuleInput, ScoreResult, TagResult, TradeInput

CANDLE_FEATURES = ("RSI_14", "ATR_rel", "BB_pos", "gap_from_MA", "volume_ratio", "drawdown_recent", "support",
                   "bars", "coverage_7d", "close")
STALE_CANDLES = 3


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _clean(x):
    if x.__class__ is float and (x != x or x in (math.inf, -math.inf)):
        return None
    return x


class _SymbolSeries:
    """One symbol's indicator columns plus the arrays needed for point look-ups (close times, closes)."""

    def __init__(self, candles: pd.DataFrame) -> None:
        frame = candles.copy(deep=False)
        if not isinstance(frame.index, pd.DatetimeIndex):
            frame.index = pd.to_datetime(frame.index, utc=True)
        if frame.index.tz is None:
            frame = frame.tz_localize("UTC")
        frame.index = frame.index.tz_convert("UTC").as_unit("ns")
        self.step = candle_interval(frame.index)  # of the index as given, as compute_indicators was given it
        if not frame.index.is_monotonic_increasing:
            frame = frame.sort_index()
        self.columns = indicator_arrays(frame, self.step)  # compute_indicators' columns, no frame of them
        self.close = self.columns["close"] = frame["close"].to_numpy(dtype=float)
        self.close_time = (frame.index + self.step).asi8

    def close_asof(self, ns: np.ndarray) -> np.ndarray:
        """Close of the last candle closed at or before each time (NaN before the first or when stale)."""
        pos = np.searchsorted(self.close_time, ns, side="right") - 1
        out = np.full(len(ns), np.nan)
        ok = pos >= 0
        if ok.any():
            fresh = ok.copy()
            fresh[ok] = ns[ok] - self.close_time[pos[ok]] <= STALE_CANDLES * self.step.value
            out[fresh] = self.close[pos[fresh]]
        return out


def _join_candles(series: _SymbolSeries, ts_ns: np.ndarray) -> dict[str, np.ndarray]:
    """The as-of join (``merge_asof`` backward on the close time, tolerance ``STALE_CANDLES`` candles) by
    binary search: each time's candle features and ``row`` (NaN where no fresh candle had closed)."""
    pos = np.searchsorted(series.close_time, ts_ns, side="right") - 1
    ok = pos >= 0
    ok[ok] = ts_ns[ok] - series.close_time[pos[ok]] <= STALE_CANDLES * series.step.value
    at = pos[ok]
    joined = {}
    for name in CANDLE_FEATURES + ("pct_change_1h", "pct_change_24h"):
        values = np.full(len(ts_ns), np.nan)
        values[ok] = series.columns[name][at]
        joined[name] = values
    row = np.full(len(ts_ns), np.nan)
    row[ok] = at
    joined["row"] = row
    return joined


def _rise_over(series: _SymbolSeries, rows: np.ndarray, hours: float) -> np.ndarray:
    """close[row] / close of the last candle closed ``hours`` before row's close − 1."""
    out = np.full(len(rows), np.nan)
    ok = ~np.isnan(rows)
    if not ok.any():
        return out
    r = rows[ok].astype(int)
    target = series.close_time[r] - int(hours * 3600 * 1e9)
    base = np.searchsorted(series.close_time, target, side="right") - 1
    valid = base >= 0
    values = np.full(len(r), np.nan)
    values[valid] = series.close[r[valid]] / series.close[base[valid]] - 1.0
    out[ok] = values
    return out


def _median(values: list) -> float:
    """``float(np.median(values))`` of a few numbers without numpy's cost per call (tens of µs): the middle
    one of them sorted, or the mean of the middle two as numpy and pandas take it, (a + b) / 2 in floats.
    With a NaN (which sorts nowhere; numpy's median is then NaN) or a zero (whose sign numpy's mean drops)
    it is numpy's."""
    total = sum(values)
    if total != total or 0 in values:
        return float(np.median(values))
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (float(ordered[middle - 1]) + float(ordered[middle])) / 2


def _day_totals(days: list, values: list) -> tuple[dict, dict]:
    """Each day's count of trades and sum of ``values`` (0.0 + the first + the next …, in their order).

    A day's trades follow one another (time order), so its totals run in locals while they do and are
    stored when the day changes, not looked up and stored per trade: the same additions in the same order
    (a day met again later goes on from its stored totals)."""
    counts: dict = {}
    totals: dict = {}
    today = None
    count, total = 0, 0.0
    for day, value in zip(days, values, strict=True):
        if day != today:
            if today is not None:
                counts[today], totals[today] = count, total
            today = day
            count, total = counts.get(day, 0), totals.get(day, 0.0)
        count += 1
        total += value
    if today is not None:
        counts[today], totals[today] = count, total
    return counts, totals


def _daily_baselines(days: list, counts: dict, turnover: dict) -> dict:
    """For each day: (median trades per active day, median turnover, active days) over the prior 30 days."""
    ordered = sorted(counts)
    result = {}
    for day in set(days):
        lo = bisect.bisect_left(ordered, day - timedelta(days=h.OVERTRADING_BASELINE_DAYS))
        hi = bisect.bisect_left(ordered, day)
        window = ordered[lo:hi]
        if window:
            result[day] = (_median([counts[d] for d in window]), _median([turnover[d] for d in window]), len(window))
        else:
            result[day] = (None, None, 0)
    return result


def _median_before(values: np.ndarray, window: int, least: int) -> np.ndarray:
    """Each value's median of the ``window`` values before it (of all before it while fewer; NaN while
    fewer than ``least``): ``pd.Series(values).rolling(window, min_periods=least).median().shift(1)``,
    whose skiplist takes the middle value or the mean of the middle two, (a + b) / 2. Here the full
    windows are sorted at once (numpy's sort of their (n, window) view, a third of pandas' time). Values
    with a NaN (which pandas skips) or an infinity, or a zero (whose sign a sort may move), go to pandas."""
    if len(values) and not (np.isfinite(values).all() and values.all()):
        return pd.Series(values).rolling(window, min_periods=least).median().shift(1).to_numpy()
    before = np.full(len(values), np.nan)
    for size in range(least, min(window, len(values))):
        before[size] = _median(values[:size].tolist())
    if len(values) > window:
        ordered = np.sort(sliding_window_view(values[:-1], window), axis=1)
        middle = window // 2
        before[window:] = ordered[:, middle] if window % 2 else (ordered[:, middle - 1] + ordered[:, middle]) / 2
    return before


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a walk, back as it was after it.

    A walk allocates a few dozen containers per trade (context, conditions, evidence) and keeps the tags:
    the collector's full passes then scan an ever larger heap, which cost about a third of the engine's
    time at 20,000 trades. The engine's objects form no reference cycles (reference counting frees what
    is let go); anything cyclic made meanwhile is collected once the collector is back.

    What the walk made and kept goes to the oldest generation as the collector comes back (``gc.freeze``
    then ``gc.unfreeze``, when nothing else holds objects frozen): a young-generation pass over the
    walk's hundreds of thousands of kept containers would cost a tenth of the walk and free nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def score_trades(*, trades: list[TradeInput], candles: dict[str, pd.DataFrame], rules: Iterable[RuleInput] = (),
                 target_ids: set[str] | None = None, disposition_since: datetime | None = None,
                 disposition_until: datetime | None = None) -> ScoreResult:
    """Label the target trades (all when ``target_ids`` is None) using the user's whole history.

    ``trades`` are all of one user's trades (any order); ``candles`` maps symbol → candles (see
    ``compute_indicators``); ``rules`` are the user's active rules. Every target trade gets at least one
    tag; ``disposition`` is Odean's disposition effect over the sale days in
    [disposition_since, disposition_until) when given (see ``disposition``), with every sale day's counts.
    """
    with gc_paused():
        stream = score_stream(trades=trades, candles=candles, rules=rules, target_ids=target_ids,
                              disposition_since=disposition_since, disposition_until=disposition_until)
        return ScoreResult(tags=[tag for _, labelled in stream.tags for tag in labelled],
                           positions=stream.positions, disposition=stream.disposition)


@dataclass
class ScoreStream:
    """``score_trades`` as it goes: positions and the disposition effect at once, then the tags of one
    target trade at a time (``(trade, tags)`` in time order), so a caller can write them in chunks and let
    them go instead of holding every trade's evidence at once. One pass over the history either way."""

    positions: dict
    disposition: dict
    tags: Iterator[tuple[TradeInput, list[TagResult]]]


def score_stream(*, trades: list[TradeInput], candles: dict[str, pd.DataFrame], rules: Iterable[RuleInput] = (),
                 target_ids: set[str] | None = None, disposition_since: datetime | None = None,
                 disposition_until: datetime | None = None) -> ScoreStream:
    """``score_trades`` as a ``ScoreStream`` (same arguments, same labels)."""
    ordered = trade_order(list(trades))
    n = len(ordered)
    quote_fees = [t.fee_in_quote for t in ordered]
    stamps = [t.ts for t in ordered]
    ts_list = [_utc(ts) for ts in stamps]
    # exact, no float: pandas reads each datetime's fields (half the cost of a timedelta floor-divided per trade)
    ts_ns = pd.DatetimeIndex(ts_list).as_unit("ns").asi8
    ts_us = (ts_ns // 1000).tolist()
    positions = match_ordered(ordered, quote_fees, ts_us if subtract_as_instants(stamps) else None)
    rules = list(rules or ())
    calibration = next((r for r in rules if r.kind == CALIBRATION_KIND), None)
    thresholds = thresholds_from_params(calibration.params) if calibration is not None else None
    threshold_record = {"source": "calibrated" if thresholds else "default",
                        "values": dict(thresholds or h.DEFAULT_THRESHOLDS)}
    parsed_rules = parse_rules([r for r in rules if r.kind != CALIBRATION_KIND])
    # the exact figures as the tags record them; float() of a Decimal is float() of its text, so made once
    price_text = [str(t.price) for t in ordered]
    qty_text = [str(t.qty) for t in ordered]
    price = np.array([float(text) for text in price_text])
    qty = np.array([float(text) for text in qty_text])
    fees = np.array([float(fee) for fee in quote_fees])
    notional = price * qty

    # candle features, one indicator pass per symbol
    columns = {name: np.full(n, np.nan) for name in CANDLE_FEATURES + ("pct_change_1h", "pct_change_24h", "row")}
    close_time = np.full(n, -1, dtype=np.int64)
    step_hours = np.full(n, 1.0)
    spike = [np.full(n, np.nan) for _ in parsed_rules]
    series_by_symbol: dict[str, _SymbolSeries] = {}
    by_symbol: dict[str, list[int]] = {}
    for i, trade in enumerate(ordered):
        by_symbol.setdefault(trade.symbol, []).append(i)
    for symbol, idx_list in by_symbol.items():
        frame = candles.get(symbol)
        if frame is None or len(frame) == 0:
            continue
        series = _SymbolSeries(frame)
        series_by_symbol[symbol] = series
        idx = np.array(idx_list)
        joined = _join_candles(series, ts_ns[idx])
        for name in columns:
            columns[name][idx] = joined[name]
        has_row = ~np.isnan(joined["row"])
        ct = np.full(len(idx), -1, dtype=np.int64)
        ct[has_row] = series.close_time[joined["row"][has_row].astype(int)]
        close_time[idx] = ct
        step_hours[idx] = series.step / pd.Timedelta(hours=1)
        for k, (rule, values) in enumerate(parsed_rules):
            if rule.kind == "avoidSpikeOverPct" and values is not None:
                spike[k][idx] = _rise_over(series, joined["row"], values["lookbackHours"])
    support = columns["support"]
    with np.errstate(divide="ignore", invalid="ignore"):
        support_distance = np.where(support > 0, price / support - 1.0, np.nan)

    # trade-history features (one pass in time order)
    days = [t.date() for t in ts_list]
    day_counts, day_turnover = _day_totals(days, notional.tolist())
    baselines = _daily_baselines(days, day_counts, day_turnover)
    buy_idx = [i for i, t in enumerate(ordered) if t.side == "BUY"]
    buy_median = _median_before(notional[buy_idx], h.OVERCONFIDENCE_WINDOW, h.OVERCONFIDENCE_MIN_PRIOR)
    median_before: list = [None] * n  # each buy's median entry size before it (NaN: too few), None for sales
    prior_buys = [0] * n  # each buy's count of earlier buys
    for k, (i, median) in enumerate(zip(buy_idx, buy_median.tolist(), strict=True)):
        median_before[i], prior_buys[i] = median, k

    # each trade's candle features as one row (see _candle_rows), made as the walk reaches them
    row_columns = [columns[name] for name in CANDLE_ROW[:-4]] + [support_distance, price, step_hours, close_time]
    notional = notional.tolist()
    # each trade's rise over each avoidSpikeOverPct rule's lookback (None when unknown)
    rises = (list(zip(*([None if v != v else v for v in values.tolist()] for values in spike), strict=True))
             if spike else [()] * n)
    targets = None if target_ids is None else set(target_ids)
    max_trades = [v["count"] for r, v in parsed_rules if r.kind == "maxTradesPerDay" and v]
    rule_max_trades = int(min(max_trades)) if max_trades else None
    fees = fees.tolist()

    def label_all() -> Iterator[tuple[TradeInput, list[TagResult]]]:
        occurrences: dict[str, int] = {}  # how many earlier trades carried each label (reflections rotate on it)
        shared_entries: dict = {}  # rule outcomes with fixed words, one entry for every trade they apply to

        last_exit = None  # (time in µs, P/L share, cost, symbol, matched share) of the last exit with a known result
        win_streak = loss_streak = 0
        last_loss_us: int | None = None
        today = None
        count_today = 0
        turnover_today = fees_today = 0.0
        for i, trade in enumerate(ordered):
            if i % CANDLE_ROWS_CHUNK == 0:
                candle_rows = _candle_rows(row_columns, i, i + CANDLE_ROWS_CHUNK)
            ts = ts_us[i]
            if days[i] != today:
                today, count_today, turnover_today, fees_today = days[i], 0, 0.0, 0.0
                overtrading_line = None
            count_today += 1
            turnover_today += notional[i]
            fees_today += fees[i]
            position = positions[trade.id]
            ctx = _context(i, trade, ts, position, candle_rows[i % CANDLE_ROWS_CHUNK], notional, price_text, qty_text,
                           last_exit, win_streak, loss_streak, last_loss_us, count_today, turnover_today, fees_today,
                           baselines[today], median_before[i], prior_buys[i], rule_max_trades,
                           thresholds)
            rule_results = evaluate_rules(ctx, parsed_rules, rises[i], shared=shared_entries)
            if overtrading_line is None:
                overtrading_line = h.overtrading_line(ctx)  # the same all day: its baseline is the day's
            if targets is None or trade.id in targets:
                yield trade, _label(trade, ctx, rule_results, occurrences, threshold_record, overtrading_line)
            else:  # only which labels fire, so the occurrence count of later trades is right
                candidates = _may_fire(ctx, rule_results, overtrading_line)
                fired_labels = [e.label for e in _evaluate(ctx, rule_results, candidates,
                                                            with_discipline=_discipline_possible(ctx, rule_results))[1]]
                for label in fired_labels or ["NONE"]:
                    occurrences[label] = occurrences.get(label, 0) + 1
            # state updates after the trade (so a trade never sees itself)
            if trade.side == "BUY":
                continue
            pnl = position.realized_pnl
            if pnl is None:
                continue
            # the sale's result and matched share, as its context computed them
            last_exit = (ts, ctx["pnl_exit_pct"], float(position.cost_basis), trade.symbol, ctx["matched_share"])
            if pnl > 0:
                win_streak, loss_streak = win_streak + 1, 0
            elif pnl < 0:
                win_streak, loss_streak, last_loss_us = 0, loss_streak + 1, ts
            else:
                win_streak = loss_streak = 0

    disposition = disposition_summary(disposition_days(ordered, candles, trade_days=days), since=disposition_since,
                                      until=disposition_until)
    disposition["engine_version"] = ENGINE_VERSION
    return ScoreStream(positions=positions, disposition=disposition, tags=label_all())


CANDLE_ROW = ("RSI_14", "BB_pos", "ATR_rel", "gap_from_MA", "volume_ratio", "drawdown_recent", "support",
              "pct_change_1h", "pct_change_24h", "bars", "coverage_7d",
              "support_distance", "price", "step_hours", "close_time")

# a walk turns the candle features of this many trades at a time into rows: a whole history's rows held at
# once were ~50 MB of Python floats and lists at 100,000 trades
CANDLE_ROWS_CHUNK = 2048


def _candle_rows(columns: list[np.ndarray], start: int, stop: int) -> list[list]:
    """The candle features of trades start to stop as rows in the order of CANDLE_ROW: from ``columns``
    (the features, support distance, price, candle length in hours and close time in ns, -1 when none),
    the features rounded to 6 places, None when unknown; the close time as ISO text."""
    *features, price, step_hours, close_time = (values[start:stop] for values in columns)
    table = np.empty((len(price), len(CANDLE_ROW)), dtype=object)
    for k, values in enumerate(features):
        rounded = np.round(values, 6)
        table[:, k] = rounded  # Python floats, as tolist() makes them
        table[np.isnan(rounded), k] = None
    table[:, -3] = price
    table[:, -2] = step_hours
    table[:, -1] = np.char.add(np.datetime_as_string(close_time.astype("datetime64[ns]"), unit="s"), "Z")
    table[close_time < 0, -1] = None
    return table.tolist()


def _context(i, trade, ts, position, candle_row, notional, price_text, qty_text, last_exit, win_streak,
             loss_streak, last_loss_us, count_today, turnover_today, fees_today, baseline, median_buy, prior_buys,
             rule_max_trades, thresholds) -> dict:
    (rsi, bb, atr, gap, volume, drawdown, support, move_1h, move_24h, bars, coverage,
     support_distance, price, step, close_time) = candle_row
    pnl = position.realized_pnl
    side = trade.side
    held_share = 0.0
    if side == "SELL" and trade.qty:
        matched_qty = position.matched_qty  # a sale matched in full (the usual case) is a share of 1, undivided
        held_share = 1.0 if matched_qty == trade.qty else float(matched_qty / trade.qty)
    hours_since_exit = size_vs_lost = exit_pnl = exit_symbol = exit_share = None
    if last_exit is not None:
        exit_us, exit_pnl, exit_cost, exit_symbol, exit_share = last_exit
        # times in µs: timedelta.total_seconds() is the microseconds / 10**6, as here
        hours_since_exit = (ts - exit_us) / 1_000_000 / 3600.0
        size_vs_lost = notional[i] / exit_cost if exit_cost > 0 else None
    base_count, base_turnover, base_days = baseline
    notional_i = notional[i]
    pnl_pct = position.pnl_pct if side == "SELL" else None
    fee_drag = fees_today / turnover_today if turnover_today > 0 else None
    turnover_ratio = turnover_today / base_turnover if base_turnover else None
    size_vs_median = notional_i / median_buy if median_buy and median_buy == median_buy else None
    fee = trade.fee
    # what a tag records under "inputs", in its final form: the features in INPUT_KEYS order, then the
    # trade's exact figures as text (the price's text in the price's place)
    inputs = {
        "side": side, "symbol": trade.symbol, "price": price_text[i], "notional": notional_i,
        "pct_change_1h_before": move_1h, "pct_change_24h_before": move_24h, "RSI_14": rsi, "ATR_rel": atr,
        "BB_pos": bb, "gap_from_MA": gap, "volume_ratio": volume, "drawdown_recent": drawdown, "support": support,
        "support_distance": support_distance, "held_hours": position.held_hours,
        "min_held_hours": position.min_held_hours, "pnl_exit_pct": pnl_pct,
        "hours_since_exit": hours_since_exit, "last_exit_pnl_pct": exit_pnl, "size_vs_lost_position": size_vs_lost,
        "win_streak": win_streak, "loss_streak": loss_streak, "trades_today": count_today,
        "turnover_today": turnover_today, "fee_drag_today": fee_drag, "baseline_median_trades": base_count,
        "turnover_vs_baseline": turnover_ratio, "size_vs_median": size_vs_median,
        "qty": qty_text[i], "fee": None if fee is None else str(fee), "pnl_exit": None if pnl is None else str(pnl),
    }
    if side == "SELL":
        inputs["matched_qty"] = str(position.matched_qty)
        inputs["unmatched_qty"] = str(position.unmatched_qty)
    # what the labels and rules read: the inputs (a copy made whole, far cheaper than building the dict key
    # by key), the price as a number, and what the tag does not record — only what the trade's side reads
    # (the last exit's market and matched share for a buy's REVENGE; the matched share of a sale), so the
    # copy never outgrows its table; the calibrated lines and the maxTradesPerDay count only when there are
    # any (they are read with ``get``)
    ctx = inputs.copy()
    ctx["price"] = price
    ctx["bars"] = bars
    ctx["coverage_7d"] = coverage
    ctx["step_hours"] = step
    ctx["candle_close_time"] = close_time
    if side == "BUY":
        ctx["last_exit_symbol"] = exit_symbol
        ctx["last_exit_matched_share"] = exit_share
    else:
        ctx["matched_share"] = held_share
    ctx["hours_since_last_loss"] = (ts - last_loss_us) / 1_000_000 / 3600.0 if last_loss_us is not None else None
    ctx["baseline_days"] = base_days
    ctx["prior_buys"] = prior_buys
    ctx["inputs"] = inputs
    if rule_max_trades is not None:
        ctx["rule_max_trades"] = rule_max_trades
    if thresholds is not None:
        ctx["thresholds"] = thresholds
    return ctx


INPUT_KEYS = (  # the features each tag records under "inputs", in this order (``_context`` builds them, then
    # the trade's exact figures: qty, fee, pnl_exit and, for a sale, matched_qty and unmatched_qty)
    "side", "symbol", "price", "notional", "pct_change_1h_before", "pct_change_24h_before", "RSI_14", "ATR_rel",
    "BB_pos", "gap_from_MA", "volume_ratio", "drawdown_recent", "support", "support_distance", "held_hours",
    "min_held_hours", "pnl_exit_pct", "hours_since_exit", "last_exit_pnl_pct", "size_vs_lost_position",
    "win_streak", "loss_streak", "trades_today", "turnover_today", "fee_drag_today", "baseline_median_trades",
    "turnover_vs_baseline", "size_vs_median",
)


# Labels that cannot fire are skipped before building their evidence: the checks below are the label's
# own comparisons (every condition of its single path, or of at least one of its paths), on the same
# values — None, like NaN, never passes — so skipping never changes a result. A trade where nothing fires
# is evaluated in full to find its nearest miss.
QUICK_REJECT = True


def _passes(value, op, threshold) -> bool:
    return value is not None and op(value, threshold)


def _may_fire(ctx: dict, rule_results: list[dict], overtrading_line: float) -> list:
    """The labels whose own comparisons pass (see QUICK_REJECT); ``overtrading_line``: ``h.overtrading_line(ctx)``."""
    side = ctx["side"]
    candidates = []
    th = ctx.get("thresholds") or h.DEFAULT_THRESHOLDS  # h.thresholds_of
    if side == "BUY":
        move, rsi, bb = ctx["pct_change_24h_before"], ctx["RSI_14"], ctx["BB_pos"]
        if (move is not None and move >= th["FOMO_PCT_24H"] and rsi is not None and rsi >= th["FOMO_RSI"]
                and bb is not None and bb >= h.FOMO_BB_POS):
            candidates.append(h.evaluate_fomo)
        hours, loss = ctx["hours_since_exit"], ctx["last_exit_pnl_pct"]
        if (hours is not None and hours <= h.REVENGE_HOURS and loss is not None and loss <= h.REVENGE_MIN_LOSS_PCT
                and (_passes(ctx["size_vs_lost_position"], ge, h.REVENGE_SIZE_RATIO)
                     or (ctx["last_exit_symbol"] is not None and ctx["last_exit_symbol"] == ctx["symbol"]))):
            candidates.append(h.evaluate_revenge)
    else:
        pnl, drawdown, rsi = ctx["pnl_exit_pct"], ctx["drawdown_recent"], ctx["RSI_14"]
        if (pnl is not None and pnl < h.PANIC_PNL and drawdown is not None and drawdown >= th["PANIC_DRAWDOWN"]
                and rsi is not None and rsi <= h.PANIC_RSI and not ctx.get("stop_exit")):
            candidates.append(h.evaluate_panic)
    count, turnover = ctx["trades_today"], ctx["turnover_vs_baseline"]
    if count >= overtrading_line or (turnover is not None and turnover >= h.OVERTRADING_TURNOVER_MULTIPLE
                                     and count >= h.OVERTRADING_TURNOVER_MIN_TRADES):
        candidates.append(h.evaluate_overtrading)
    if side == "BUY":
        ratio = ctx["size_vs_median"]
        if (ctx["win_streak"] >= h.OVERCONFIDENCE_STREAK and ratio is not None
                and ratio >= th["OVERCONFIDENCE_SIZE_RATIO"]):
            candidates.append(h.evaluate_overconfidence)
    return candidates


def _discipline_possible(ctx: dict, rule_results: list[dict]) -> bool:
    distance = ctx["support_distance"]
    if ctx["side"] == "BUY" and distance is not None and abs(distance) <= h.SUPPORT_DISTANCE:
        return True
    for r in rule_results:
        if r["status"] == "kept" and r["kind"] in h.RULES_SUPPORTING_DISCIPLINE:
            return True
    return False


ALL_EVALUATORS = (h.evaluate_fomo, h.evaluate_panic, h.evaluate_revenge, h.evaluate_overtrading,
                  h.evaluate_overconfidence)


def _evaluate(ctx: dict, rule_results: list[dict], evaluators, *, with_discipline: bool, done: dict | None = None):
    """Run the evaluators (then discipline, when nothing else fired). ``done`` keeps the results of a first,
    quick pass for the full pass that follows it when nothing fired: an evaluator's result depends on the
    context alone, and discipline's on what else fired — nothing, in both passes.

    When another label fired, DISCIPLINE's guard fails (it cannot fire), and its unfired lines are shown
    only on a trade where nothing fired (the nearest miss): it is not evaluated then."""
    done = {} if done is None else done
    evaluations = []
    for evaluate in evaluators:
        result = done[evaluate] if evaluate in done else done.setdefault(evaluate, evaluate(ctx))
        if result is not None:
            evaluations.append(result)
    fired = [e for e in evaluations if e.fired]
    if with_discipline and not fired:
        if "discipline" not in done:
            done["discipline"] = h.evaluate_discipline(ctx, other_fired=[], rules=rule_results)
        discipline = done["discipline"]
        if discipline is not None:
            evaluations.append(discipline)
            if discipline.fired:
                fired.append(discipline)
    return evaluations, fired


def _any_broken(rule_results: list[dict]) -> bool:
    for r in rule_results:
        if r["status"] == "broken":
            return True
    return False


def _base_history(ctx: dict) -> dict:
    bars = ctx["bars"]
    return {"candles_before": None if bars is None else int(bars),
            "candle_coverage_7d": _clean(ctx["coverage_7d"]), "candle_close_time": ctx["candle_close_time"],
            "candle_hours": ctx["step_hours"], "trades_before_today": ctx["trades_today"] - 1,
            "baseline_days": ctx["baseline_days"], "prior_entries": ctx["prior_buys"]}


_GUARD_KEPT_LINE = h._GUARD_KEPT.as_dict()  # the guard kept: one line, shown by every tag that lists it


def _discipline_alone(trade: TradeInput, ctx: dict, rule_results: list[dict], occurrences: dict,
                      threshold_record: dict) -> TagResult | None:
    """``h.evaluate_discipline(ctx, other_fired=[], rules=rule_results)`` on a trade where no other label can
    fire and no rule was broken (its guard kept), straight to the DISCIPLINE tag ``_label`` makes of it — or
    None when DISCIPLINE does not fire. Most trades end here, so this builds no ``LabelEval`` and no
    ``Condition``; the arithmetic is ``evaluate_discipline``'s and ``candle_history_factor``'s, step for step
    (the support line needs 48 candles), with the lines as ``Condition.as_dict`` makes them."""
    exact = h._EXACT_SCORES
    lines = []
    best_margin = best_confidence = 0.0
    best_path = None
    bars = ctx["bars"]
    buy = ctx["side"] == "BUY"
    if buy:
        line, score = h._support_line(ctx["support_distance"])
        lines.append(line)
        coverage = ctx["coverage_7d"]
        if bars is None or coverage is None:
            factor, candles_before, shown_coverage = 0.0, 0, None
        else:
            candles_before = int(bars)
            if bars >= SUPPORT_CANDLES:  # the share is 1: the factor is the coverage itself
                factor = coverage
                shown_coverage = coverage if coverage == 1.0 else round_to_4(coverage)
            else:
                factor = min(1.0, bars / SUPPORT_CANDLES) * coverage
                shown_coverage = round_to_4(coverage)
        if score is not None:
            best_margin = (score + h.BOOLEAN_SCORE) / 2
            best_confidence = best_margin * factor
            best_path = ["support_distance", h.GUARD]
    else:
        candles_before = None if bars is None else int(bars)
        shown_coverage = _clean(ctx["coverage_7d"])
    for rule in rule_results:
        if rule["status"] != "kept" or rule["kind"] not in h._SUPPORTING:
            continue
        rule_margin = rule.get("margin")
        score = h.BOOLEAN_SCORE if rule_margin is None else 0.5 + 0.5 * min(1.0, rule_margin)
        name = h._RULE_CONDITION[rule["kind"]]
        lines.append({"name": name, "value": 1.0, "op": "==", "threshold": 1.0, "unit": "bool", "fired": True,
                      "evaluable": True, "score": score if score in exact else round_to_4(score),
                      "explain": rule["explain"]})
        margin = (score + h.BOOLEAN_SCORE) / 2
        confidence = margin * rule.get("history_factor", 1.0)
        if confidence > best_confidence or (confidence == best_confidence and margin > best_margin):
            best_path = [name, h.GUARD]
        best_margin = max(best_margin, margin)
        best_confidence = max(best_confidence, confidence)
    if not best_margin > 0:
        return None
    lines.append(_GUARD_KEPT_LINE)
    factor = best_confidence / best_margin
    rounded_factor = factor if factor in exact else round_to_4(factor)  # usually 1.0
    earlier = occurrences.get("DISCIPLINE", 0)
    occurrences["DISCIPLINE"] = earlier + 1
    rounded_margin = best_margin if best_margin in exact else round_to_4(best_margin)
    confidence = best_margin * factor
    if confidence == best_margin:  # a factor of 1 (the usual case): the margin's rounding, made once
        confidence = rounded_margin
    else:
        confidence = confidence if confidence in exact else round_to_4(confidence)
    features = {
        "engine_version": ENGINE_VERSION,
        "inputs": ctx["inputs"],
        "conditions": lines,
        "rules": rule_results,
        "thresholds": threshold_record,
        # {**_base_history(ctx), **history, "occurrence": earlier} in one step: a buy's history is the candle
        # counts of the support line, then the factor
        "history": {"candles_before": candles_before, "candle_coverage_7d": shown_coverage,
                    "candle_close_time": ctx["candle_close_time"], "candle_hours": ctx["step_hours"],
                    "trades_before_today": ctx["trades_today"] - 1, "baseline_days": ctx["baseline_days"],
                    "prior_entries": ctx["prior_buys"], "history_factor": rounded_factor,
                    "occurrence": earlier},
        "score": {"margin": rounded_margin, "history_factor": rounded_factor, "path": best_path},
    }
    return TagResult(trade.id, "DISCIPLINE", 0.0 if confidence < 0 else 1.0 if confidence > 1 else confidence,
                     features)


def _label(trade: TradeInput, ctx: dict, rule_results: list[dict], occurrences: dict,
           threshold_record: dict, overtrading_line: float) -> list[TagResult]:
    """The trade's tags. ``occurrences`` (label → how many earlier trades carried it) is counted on as the
    tags are made, and each tag's history records its label's count before this trade; ``threshold_record``
    is the lines in force, as every tag records them."""
    if QUICK_REJECT:
        candidates = _may_fire(ctx, rule_results, overtrading_line)
        broken = _any_broken(rule_results)
        if not candidates and not broken:  # DISCIPLINE alone, its guard kept (most trades end here)
            discipline = _discipline_alone(trade, ctx, rule_results, occurrences, threshold_record)
            if discipline is not None:
                return [discipline]
    fired: list = []
    done: dict = {}
    if QUICK_REJECT:
        if candidates:
            evaluations, fired = _evaluate(ctx, rule_results, candidates,
                                           with_discipline=_discipline_possible(ctx, rule_results), done=done)
        elif broken and _discipline_possible(ctx, rule_results):  # only DISCIPLINE can fire: ``_evaluate`` of none
            discipline = done["discipline"] = h.evaluate_discipline(ctx, other_fired=[], rules=rule_results)
            if discipline is not None and discipline.fired:
                fired = [discipline]
    if not fired:
        evaluations, fired = _evaluate(ctx, rule_results, ALL_EVALUATORS, with_discipline=True, done=done)
    inputs = ctx["inputs"]
    base_history = _base_history(ctx)
    tags = []
    exact = h._EXACT_SCORES
    for evaluation in fired:
        label = evaluation.label
        earlier = occurrences.get(label, 0)  # a trade's labels are distinct
        occurrences[label] = earlier + 1
        margin, factor = evaluation.margin, evaluation.history_factor
        confidence = margin * factor  # LabelEval.confidence, inline
        confidence = confidence if confidence in exact else round_to_4(confidence)
        features = {
            "engine_version": ENGINE_VERSION,
            "inputs": dict(inputs) if tags else inputs,  # each tag its own
            "conditions": [c.as_dict() for c in evaluation.conditions],
            "rules": rule_results,
            "thresholds": threshold_record,
            "history": {**base_history, **evaluation.history, "occurrence": earlier},
            "score": {"margin": margin if margin in exact else round_to_4(margin),
                      "history_factor": factor if factor in exact else round_to_4(factor), "path": evaluation.path},
        }
        tags.append(TagResult(trade.id, label, 0.0 if confidence < 0 else 1.0 if confidence > 1 else confidence,
                              features))
    if tags:
        return tags
    nearest = max(evaluations, key=lambda e: (e.partial, e.evaluable_share), default=None)
    evaluable = [c.evaluable for e in evaluations for c in e.conditions]
    evaluable_share = sum(evaluable) / len(evaluable) if evaluable else 0.0
    partial = nearest.partial if nearest else 0.0
    confidence = h._clip(round_to_4((1 - 0.8 * partial) * evaluable_share))
    near_misses = sorted(({"label": e.label, "share_fired": round_to_4(e.partial),
                           "fired": [c.name for c in e.conditions if c.fired],
                           "not_fired": [c.name for c in e.conditions if not c.fired]}
                          for e in evaluations), key=lambda m: -m["share_fired"])
    base_history["occurrence"] = occurrences.get("NONE", 0)
    occurrences["NONE"] = base_history["occurrence"] + 1
    features = {
        "engine_version": ENGINE_VERSION,
        "inputs": inputs,
        "conditions": [c.as_dict(nearest.label) for c in nearest.conditions] if nearest else [],
        "rules": rule_results,
        "thresholds": threshold_record,
        "history": base_history,
        "near_misses": near_misses,
        "score": {"nearest_share_fired": round_to_4(partial), "evaluable_share": round_to_4(evaluable_share)},
    }
    return [TagResult(trade_id=trade.id, label="NONE", confidence=confidence, features=features)]
