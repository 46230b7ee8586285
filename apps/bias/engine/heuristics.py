"""Labels from one trade's features: the conditions, their thresholds, and the confidence.

Each label is a set of conditions ``value op threshold``. A label fires when its required conditions all
fire (DISCIPLINE and REVENGE have alternative paths; the best-scoring complete path counts). A condition
whose input is unknown (too little history, no candle, unknown P/L) is marked ``evaluable: false`` and
never fires — unknown is never read as zero.

Confidence (∈ [0, 1], rounded to 4 places):

    score(condition) = 0.5 + 0.5 × min(1, |value − threshold| / spread)   for a fired condition, else 0
    confidence       = mean(score over the fired path's conditions) × history factor

``spread`` is a per-feature scale (e.g. 8 percentage points for the 24 h move, 15 RSI points), so a
value just past its threshold scores 0.5 and one a full spread past it scores 1. Yes/no conditions (same
symbol, no other bias) score 0.75. The history factor says how much data backs the evidence:

- candle-based labels: mean over the label's indicators of min(1, candles available / candles the
  indicator needs — RSI 43, Bollinger 20, SMA 50, the 24 h move 24 h + 1 candle, the 7-day high 7 days,
  support 48) × the share of expected candles actually present in the last 7 days; PANIC also × the share
  of the sale matched to known buys;
- trade-history labels: 0.5 + 0.5 × min(1, history / full history), where history is the baseline days
  (OVERTRADING, full at 10), prior entries (OVERCONFIDENCE, full at 20), or the matched share of the
  losing exit (REVENGE: 0.5 + 0.5 × matched share);
- DISCIPLINE: the best of its complete paths (support: the candle factor of the 48-candle support; a
  kept rule: 1, or the matched share of the sale for minHoldHours), each path's mean score × its factor.

NONE ("nothing notable") carries the conditions of the nearest miss (the applicable label with the
largest share of fired conditions) and confidence = (1 − 0.8 × that share) × the share of applicable
conditions that could be evaluated.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

from .indicators import SUPPORT_CANDLES

FOMO_PCT_24H = 0.08
FOMO_RSI = 70.0
FOMO_BB_POS = 0.8
PANIC_PNL = 0.0
PANIC_DRAWDOWN = 0.06
PANIC_RSI = 35.0
SUPPORT_DISTANCE = 0.015
REVENGE_HOURS = 4.0
REVENGE_MIN_LOSS_PCT = -0.005
REVENGE_SIZE_RATIO = 1.2
OVERTRADING_MULTIPLE = 3.0
OVERTRADING_MIN_TRADES = 5
OVERTRADING_TURNOVER_MULTIPLE = 5.0
OVERTRADING_TURNOVER_MIN_TRADES = 3
OVERTRADING_BASELINE_DAYS = 30
OVERCONFIDENCE_STREAK = 3
OVERCONFIDENCE_SIZE_RATIO = 1.5
OVERCONFIDENCE_MIN_PRIOR = 5
OVERCONFIDENCE_WINDOW = 20

# The five lines a user's history may calibrate (see ``calibration``): name → the seed's default.
DEFAULT_THRESHOLDS = {
    "FOMO_PCT_24H": FOMO_PCT_24H,
    "FOMO_RSI": FOMO_RSI,
    "PANIC_DRAWDOWN": PANIC_DRAWDOWN,
    "OVERTRADING_MULTIPLE": OVERTRADING_MULTIPLE,
    "OVERCONFIDENCE_SIZE_RATIO": OVERCONFIDENCE_SIZE_RATIO,
}


def thresholds_of(ctx: dict) -> dict:
    """The lines in force for this trade: the user's calibrated ones when applied, else the defaults."""
    return ctx.get("thresholds") or DEFAULT_THRESHOLDS


BOOLEAN_SCORE = 0.75
_EXACT_SCORES = frozenset((0.0, BOOLEAN_SCORE, 1.0))  # scores that four-place rounding leaves as they are


def round4(x: float) -> float:
    """``round(x, 4)``, without the work for the usual exact scores and factors."""
    return x if x in _EXACT_SCORES else round_to_4(x)


_floor = math.floor


def _exact_rounding(places: int):
    """A function giving ``round(x, places)``, the same value, in about a third of its time for a float of
    moderate size.

    ``round`` rounds the exact value of ``x`` to an integer count R of 10⁻ᵖˡᵃᶜᵉˢ units (half to even) and
    returns the double nearest to R / 10ᵖˡᵃᶜᵉˢ — which is what the division ``R / 10.0 ** places`` returns
    (both exact, the quotient correctly rounded). R comes from ``x × 10ᵖˡᵃᶜᵉˢ`` as a double: below 10⁹ in
    size its error is under 2⁻²³, so the floor of it, plus one past the half, is R whenever the fraction is
    not within 10⁻⁴ of a half. Anything else — a near tie, a zero (whose sign ``round`` keeps), a large or
    non-finite value, a value that is not a float — is left to ``round``."""
    scale = 10.0 ** places  # exact for these powers

    def rounded(x):
        if x.__class__ is float:
            y = x * scale
            if -1e9 < y < 1e9:
                whole = _floor(y)
                rest = y - whole
                if rest < 0.4999:
                    if whole:
                        return whole / scale
                elif rest > 0.5001:
                    whole += 1
                    if whole:
                        return whole / scale
        return round(x, places)

    rounded.__name__ = rounded.__qualname__ = f"round_to_{places}"
    return rounded


round_to_4 = _exact_rounding(4)
round_to_6 = _exact_rounding(6)


GUARD = "no_bias_or_broken_rule"
GUARD_KEPT = "No other bias fired and no rule was broken on this trade."
RULES_SUPPORTING_DISCIPLINE = ("avoidSpikeOverPct", "minHoldHours", "cooldownAfterLosses", "stopLossPct", "plannedStop")


@dataclass(slots=True)
class LabelEval:
    label: str
    fired: bool
    conditions: list[Condition]
    history_factor: float
    margin: float = 0.0
    partial: float = 0.0
    evaluable_share: float = 1.0
    history: dict = field(default_factory=dict)
    path: list[str] = field(default_factory=list)  # the conditions of the best complete path (empty: not fired)

    @property
    def confidence(self) -> float:
        return _clip(round4(self.margin * self.history_factor))


def _clip(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def _num(x) -> float | None:
    if x is None:
        return None
    value = float(x)
    return None if math.isnan(value) or math.isinf(value) else value


def pct(x: float | None, signed: bool = True) -> str:
    if x is None:
        return "unknown"
    return f"{x * 100:+.1f}%" if signed else f"{x * 100:.1f}%"


_COMPARISONS = {">=": operator.ge, "<=": operator.le, "<": operator.lt, ">": operator.gt, "==": operator.eq,
                "abs<=": lambda value, threshold: abs(value) <= threshold}


def _compare(value: float, op: str, threshold: float) -> bool:
    try:
        return _COMPARISONS[op](value, threshold)
    except KeyError:
        raise ValueError(op) from None


class Condition:
    """One evidence line; the explanation is formatted only when the line is shown (``as_dict``)."""

    __slots__ = ("name", "value", "op", "threshold", "unit", "fired", "evaluable", "score", "_explain")

    def __init__(self, name, value, op, threshold, unit, fired, evaluable, score, explain) -> None:
        self.name = name
        self.value = value
        self.op = op
        self.threshold = threshold
        self.unit = unit
        self.fired = fired
        self.evaluable = evaluable
        self.score = score
        self._explain = explain

    def as_dict(self, label: str | None = None) -> dict:
        """The line as a tag shows it; ``label``, when given, is recorded last (a nearest miss's label)."""
        explain = self._explain
        if explain.__class__ is not str:
            explain = explain()
        value, score = self.value, self.score
        line = {"name": self.name, "value": value if value is None or value in _EXACT_SCORES else round_to_6(value),
                "op": self.op,
                "threshold": self.threshold, "unit": self.unit, "fired": self.fired, "evaluable": self.evaluable,
                "score": score if score in _EXACT_SCORES else round_to_4(score), "explain": explain}
        if label is not None:
            line["label"] = label
        return line


def condition(name: str, value, op: str, threshold: float, *, spread: float | None, explain,
              missing: str, unit: str = "") -> Condition:
    """One evidence line. ``spread`` None marks a yes/no condition (fixed score when fired); ``explain``
    may be a string or a callable returning one."""
    number = value if value.__class__ is float else _num(value)
    if number is None or number != number:
        return Condition(name, None, op, threshold, unit, False, False, 0.0, missing)
    if op == ">=":  # _compare, the usual comparisons first
        fired = number >= threshold
    elif op == "<=":
        fired = number <= threshold
    else:
        fired = _compare(number, op, threshold)
    if not fired:
        score = 0.0
    elif spread is None:
        score = BOOLEAN_SCORE
    else:
        distance = abs(abs(number) - threshold) if op == "abs<=" else abs(number - threshold)
        share = distance / spread
        score = 0.5 + 0.5 * (share if share < 1.0 else 1.0)  # min(1.0, share), NaN → 1.0 as min() gives it
    return Condition(name, number, op, threshold, unit, fired, True, score, explain)


def flag(name: str, fired: bool, explain) -> Condition:
    """A yes/no evidence line that is always known: ``condition(name, 1.0 or 0.0, "==", 1.0, spread=None,
    unit="bool", missing="")`` without the general path."""
    if fired:
        return Condition(name, 1.0, "==", 1.0, "bool", True, True, BOOLEAN_SCORE, explain)
    return Condition(name, 0.0, "==", 1.0, "bool", False, True, 0.0, explain)


_NEEDED: dict[float, dict] = {}
_FULL: dict[tuple, float] = {}  # (candle hours, indicators) → the candles after which every share is 1


def _needed(step: float) -> dict:
    """Candles each indicator needs, for candles of ``step`` hours."""
    needed = _NEEDED.get(step)
    if needed is None:
        needed = _NEEDED[step] = {
            "RSI_14": 43, "BB_pos": 20, "gap_from_MA": 50, "ATR_rel": 43, "support": SUPPORT_CANDLES,
            "pct_change_24h_before": 24 / step + 1, "pct_change_1h_before": 1 / step + 1,
            "drawdown_recent": 24 * 7 / step,
        }
    return needed


def candle_history_factor(ctx: dict, needs: tuple[str, ...]) -> tuple[float, dict]:
    bars = ctx.get("bars")
    coverage = ctx.get("coverage_7d")
    if bars is None or coverage is None:
        return 0.0, {"candles_before": 0, "candle_coverage_7d": None, "history_factor": 0.0}
    step = ctx["step_hours"]
    full = _FULL.get((step, needs))
    if full is None:
        full = _FULL[step, needs] = max(_needed(step)[name] for name in needs)
    if bars >= full:  # every share is 1: their mean is 1 and the factor the coverage itself
        rounded = coverage if coverage == 1.0 else round_to_4(coverage)
        return coverage, {"candles_before": int(bars), "candle_coverage_7d": rounded,
                          "candle_close_time": ctx.get("candle_close_time"), "history_factor": rounded}
    needed = _needed(step)
    shares = [min(1.0, bars / needed[name]) for name in needs]
    factor = (sum(shares) / len(shares)) * coverage
    return factor, {"candles_before": int(bars), "candle_coverage_7d": round_to_4(coverage),
                    "candle_close_time": ctx.get("candle_close_time"), "history_factor": round_to_4(factor)}


def _finish(label: str, conditions: list[Condition], paths: list[list[Condition]], factor: float, history: dict) -> LabelEval:
    """A label fires when every condition of at least one path fires; the best such path sets the margin."""
    best: list[Condition] = []
    margin = 0.0
    partial = None
    complete = False
    for path in paths:
        fired = 0
        every = True
        total = 0  # sum(c.score for c in path), in the same order
        for c in path:
            total += c.score
            if c.fired:
                if c.name != GUARD:  # the "nothing else fired" guard is not evidence of nearness on its own
                    fired += 1
            else:
                every = False
        share = fired / len(path)
        if partial is None or share > partial:
            partial = share
        if every:
            complete = True
            mean = total / len(path)
            if not best or mean > margin:  # the first of equally good paths, as max() picks
                best, margin = path, mean
    evaluable = 0
    for c in conditions:
        evaluable += c.evaluable
    return LabelEval(label, complete, conditions, factor, margin, partial, evaluable / len(conditions), history,
                     [c.name for c in best])


def evaluate_fomo(ctx: dict) -> LabelEval | None:
    if ctx["side"] != "BUY":
        return None
    move, rsi, bb = ctx["pct_change_24h_before"], ctx["RSI_14"], ctx["BB_pos"]
    th = thresholds_of(ctx)
    move_line, rsi_line = th["FOMO_PCT_24H"], th["FOMO_RSI"]
    conditions = [
        condition("pct_change_24h_before", move, ">=", move_line, spread=0.08, unit="fraction",
                  explain=lambda: f"Price had moved {pct(move)} in the 24 hours before this buy (FOMO line: a rise of {move_line * 100:g}% or more).",
                  missing="Not enough candles before this buy to measure the 24-hour move."),
        condition("RSI_14", rsi, ">=", rsi_line, spread=15.0,
                  explain=lambda: f"RSI(14) was {rsi:.1f} at entry; {rsi_line:g} or above means the market was stretched after a run." if rsi is not None else "",
                  missing="Not enough candles to compute RSI(14) at this buy."),
        condition("BB_pos", bb, ">=", FOMO_BB_POS, spread=0.4,
                  explain=lambda: (f"Price sat at {bb * 100:.0f}% of its Bollinger band width (0% lower band, 100% upper band); "
                           "80% or more means buying near the top of the recent range.") if bb is not None else "",
                  missing="Not enough candles to place the price within its Bollinger bands."),
    ]
    factor, history = candle_history_factor(ctx, ("pct_change_24h_before", "RSI_14", "BB_pos"))
    return _finish("FOMO", conditions, [conditions], factor, history)


def evaluate_panic(ctx: dict) -> LabelEval | None:
    if ctx["side"] != "SELL" or ctx.get("stop_exit"):  # a sale at the stop the user planned is the plan, not panic
        return None
    pnl_pct, drawdown, rsi = ctx["pnl_exit_pct"], ctx["drawdown_recent"], ctx["RSI_14"]
    drawdown_line = thresholds_of(ctx)["PANIC_DRAWDOWN"]
    conditions = [
        condition("pnl_exit", pnl_pct, "<", PANIC_PNL, spread=0.05, unit="fraction",
                  explain=lambda: f"This sale realised {pct(pnl_pct)} on the position after fees (a loss counts toward panic).",
                  missing="The buy behind this sale is not in the imported history, so its profit or loss is unknown."),
        condition("drawdown_recent", drawdown, ">=", drawdown_line, spread=0.06, unit="fraction",
                  explain=lambda: f"Price was {pct(drawdown, signed=False)} below its 7-day high (panic line: {drawdown_line * 100:g}% or more).",
                  missing="Not enough candles to know the 7-day high before this sale."),
        condition("RSI_14", rsi, "<=", PANIC_RSI, spread=15.0,
                  explain=lambda: f"RSI(14) was {rsi:.1f}; 35 or below means selling into an already oversold slide." if rsi is not None else "",
                  missing="Not enough candles to compute RSI(14) at this sale."),
    ]
    factor, history = candle_history_factor(ctx, ("drawdown_recent", "RSI_14"))
    if ctx["pnl_exit_pct"] is not None:
        matched = ctx["matched_share"]
        factor *= matched
        history["matched_share"] = round_to_4(matched)
        history["history_factor"] = round_to_4(factor)
    return _finish("PANIC", conditions, [conditions], factor, history)


def evaluate_revenge(ctx: dict) -> LabelEval | None:
    if ctx["side"] != "BUY":
        return None
    hours, loss = ctx["hours_since_exit"], ctx["last_exit_pnl_pct"]
    size = ctx["size_vs_lost_position"]
    same = None if ctx["last_exit_symbol"] is None else float(ctx["last_exit_symbol"] == ctx["symbol"])
    loss_c = condition("previous_exit_loss", loss, "<=", REVENGE_MIN_LOSS_PCT, spread=0.05, unit="fraction",
                       explain=lambda: f"Your previous exit realised {pct(loss)} (a loss of 0.5% or more counts).",
                       missing="No earlier exit with a known result before this buy.")
    hours_c = condition("hours_since_loss", hours, "<=", REVENGE_HOURS, spread=REVENGE_HOURS, unit="hours",
                        explain=lambda: f"This entry came {hours:.1f} hours after that exit (revenge window: 4 hours)." if hours is not None else "",
                        missing="No earlier exit before this buy.")
    size_c = condition("size_vs_lost_position", size, ">=", REVENGE_SIZE_RATIO, spread=1.0, unit="ratio",
                       explain=lambda: f"The new position is {size:.2f}× the size of the losing one (1.2× or more is a larger bet)." if size is not None else "",
                       missing="The size of the losing position is unknown.")
    same_c = condition("same_symbol", same, "==", 1.0, spread=None, unit="bool",
                       explain=lambda: ("It went straight back into the same market." if same == 1.0 else
                                "It went into a different market than the loss."),
                       missing="No earlier exit before this buy.")
    conditions = [loss_c, hours_c, size_c, same_c]
    matched = ctx["last_exit_matched_share"] or 0.0
    factor = 0.5 + 0.5 * matched
    history = {"losing_exit_matched_share": round_to_4(matched), "history_factor": round_to_4(factor)}
    return _finish("REVENGE", conditions, [[loss_c, hours_c, size_c], [loss_c, hours_c, same_c]], factor, history)


def overtrading_line(ctx: dict) -> float:
    """max(3 (or the calibrated multiple) × the median trades per active day over the previous 30 days, 5), lowered to the
    maxTradesPerDay rule's count + 1 when the user has one."""
    median = ctx["baseline_median_trades"]
    multiple = thresholds_of(ctx)["OVERTRADING_MULTIPLE"]
    threshold = float(max(multiple * median if median else 0.0, OVERTRADING_MIN_TRADES))
    rule_limit = ctx.get("rule_max_trades")
    if rule_limit is not None:
        threshold = min(threshold, float(rule_limit + 1))
    return threshold


def _overtrading_base(ctx: dict, median) -> str:
    """How the trade-count line was set. A module function, not one nested in ``evaluate_overtrading``:
    compiled, a nested function that the explain lambdas call sits in the closure it belongs to — a
    reference cycle per trade, which keeps every trade's context until the cyclic collector runs."""
    return (f"{thresholds_of(ctx)['OVERTRADING_MULTIPLE']:g}× your usual {median:g} per active day over the "
            f"previous 30 days, at least {OVERTRADING_MIN_TRADES}" if median
            else f"the minimum of {OVERTRADING_MIN_TRADES}, with no earlier trading days to compare with")


def evaluate_overtrading(ctx: dict) -> LabelEval:
    count = ctx["trades_today"]
    median = ctx["baseline_median_trades"]
    threshold = overtrading_line(ctx)
    rule_limit = ctx.get("rule_max_trades")
    turnover_ratio = ctx["turnover_vs_baseline"]
    count_c = condition("trades_today", count, ">=", threshold, spread=max(threshold, 1.0), unit="trades",
                        explain=lambda: (f"This was trade number {count} of the day (UTC); the line is {threshold:g} "
                                 f"({_overtrading_base(ctx, median)}"
                                 + (", tightened by your max-trades-per-day rule" if rule_limit is not None else "")
                                 + f"). Fees so far today ate {pct(ctx['fee_drag_today'], signed=False)} of the amount traded."),
                        missing="")
    turnover_c = condition("turnover_vs_baseline", turnover_ratio, ">=", OVERTRADING_TURNOVER_MULTIPLE, spread=5.0,
                           unit="ratio",
                           explain=lambda: f"Money traded so far today is {turnover_ratio:.1f}× your usual day (line: 5×)." if turnover_ratio is not None else "",
                           missing="No earlier trading days to compare today's amount traded with.")
    min_c = condition("trades_today_min", count, ">=", float(OVERTRADING_TURNOVER_MIN_TRADES), spread=None,
                      unit="trades", explain=lambda: f"{count} trades so far today (the amount-traded path needs at least 3).",
                      missing="")
    days = ctx["baseline_days"]
    factor = 0.5 + 0.5 * min(1.0, days / 10)
    history = {"baseline_days": days, "history_factor": round_to_4(factor)}
    return _finish("OVERTRADING", [count_c, turnover_c, min_c], [[count_c], [turnover_c, min_c]], factor, history)


def evaluate_overconfidence(ctx: dict) -> LabelEval | None:
    if ctx["side"] != "BUY":
        return None
    streak, ratio = ctx["win_streak"], ctx["size_vs_median"]
    size_line = thresholds_of(ctx)["OVERCONFIDENCE_SIZE_RATIO"]
    streak_c = condition("win_streak", streak, ">=", float(OVERCONFIDENCE_STREAK), spread=3.0, unit="exits",
                         explain=lambda: f"This entry followed {streak} winning exits in a row (line: 3).", missing="")
    size_c = condition("size_vs_median", ratio, ">=", size_line, spread=1.5, unit="ratio",
                       explain=lambda: (f"It was {ratio:.2f}× your median entry size over your previous entries "
                                f"(line: {size_line:g}×).") if ratio is not None else "",
                       missing=f"Fewer than {OVERCONFIDENCE_MIN_PRIOR} earlier entries to know your usual size.")
    prior = ctx["prior_buys"]
    factor = 0.5 + 0.5 * min(1.0, prior / OVERCONFIDENCE_WINDOW)
    history = {"prior_entries": prior, "history_factor": round_to_4(factor)}
    return _finish("OVERCONFIDENCE", [streak_c, size_c], [[streak_c, size_c]], factor, history)


_SUPPORTING = frozenset(RULES_SUPPORTING_DISCIPLINE)
_RULE_CONDITION = {kind: f"rule_{kind}" for kind in RULES_SUPPORTING_DISCIPLINE}


class _SharedCondition(Condition):
    """A line that reads the same on every trade (the guard kept): made once, its dict listed for every tag
    that shows it (evidence is read, never changed)."""

    __slots__ = ("_line",)

    def as_dict(self, label: str | None = None) -> dict:
        if label is not None:
            return Condition.as_dict(self, label)
        line = self._line
        if line is None:
            line = self._line = Condition.as_dict(self)
        return line


_GUARD_KEPT = _SharedCondition(GUARD, 1.0, "==", 1.0, "bool", True, True, BOOLEAN_SCORE, GUARD_KEPT)
_GUARD_KEPT._line = None


def _discipline_guard(other_fired: list[str], rules: list[dict]) -> Condition:
    if not other_fired:
        for r in rules:
            if r["status"] == "broken":
                break
        else:
            return _GUARD_KEPT
    broken = [r for r in rules if r["status"] == "broken"]
    return flag(GUARD, False, lambda: "Not counted as disciplined: " + ", ".join(
        other_fired + [f"rule {r['kind']} broken" for r in broken]) + ".")


_SUPPORT_MISSING = "Not enough candles to know the prior support level."


def _support_condition(distance: float | None) -> Condition:
    return condition("support_distance", distance, "abs<=", SUPPORT_DISTANCE, spread=SUPPORT_DISTANCE,
                     unit="fraction",
                     explain=lambda: (f"The entry price was {pct(distance)} from prior support (the lowest low of "
                                      f"the previous 48 candles); within 1.5% counts as entering at support.")
                     if distance is not None else "",
                     missing=_SUPPORT_MISSING)


def _support_line(distance) -> tuple[dict, float | None]:
    """``_support_condition(distance).as_dict()`` and the line's score when it fired (None when it did not),
    without the ``Condition``: the same comparison, score and words."""
    number = distance if distance.__class__ is float else _num(distance)
    if number is None or number != number:
        return {"name": "support_distance", "value": None, "op": "abs<=", "threshold": SUPPORT_DISTANCE,
                "unit": "fraction", "fired": False, "evaluable": False, "score": 0.0,
                "explain": _SUPPORT_MISSING}, None
    fired = abs(number) <= SUPPORT_DISTANCE
    if fired:
        share = abs(abs(number) - SUPPORT_DISTANCE) / SUPPORT_DISTANCE
        score = 0.5 + 0.5 * (share if share < 1.0 else 1.0)
    else:
        score = 0.0
    explain = (f"The entry price was {pct(distance)} from prior support (the lowest low of "
               f"the previous 48 candles); within 1.5% counts as entering at support.") if distance is not None else ""
    line = {"name": "support_distance", "value": number if number in _EXACT_SCORES else round_to_6(number),
            "op": "abs<=", "threshold": SUPPORT_DISTANCE, "unit": "fraction", "fired": fired, "evaluable": True,
            "score": score if score in _EXACT_SCORES else round_to_4(score), "explain": explain}
    return line, score if fired else None


def evaluate_discipline(ctx: dict, *, other_fired: list[str], rules: list[dict]) -> LabelEval | None:
    """Entry near prior support (BUY) or a rule kept, and nothing else fired or broken on the trade.

    Each way of being disciplined is a path [evidence, guard]; the confidence is the best complete path's
    mean score × that path's history factor."""
    guard = _discipline_guard(other_fired, rules)
    guard_fired, guard_score = guard.fired, guard.score
    conditions: list[Condition] = []
    history: dict = {}
    best_margin = best_confidence = best_partial = 0.0
    best_path: list[str] = []
    if ctx["side"] == "BUY":
        support_c = _support_condition(ctx["support_distance"])
        conditions.append(support_c)
        factor, history = candle_history_factor(ctx, ("support",))
        if support_c.fired:
            best_partial = 0.5
            if guard_fired:
                best_margin = (support_c.score + guard_score) / 2
                best_confidence = best_margin * factor
                best_path = [support_c.name, GUARD]
    for rule in rules:
        status = rule["status"]
        if (status != "kept" and status != "broken") or rule["kind"] not in _SUPPORTING:
            continue
        kept = status == "kept"
        if kept:
            margin = rule.get("margin")
            kept_c = Condition(_RULE_CONDITION[rule["kind"]], 1.0, "==", 1.0, "bool", True, True,
                               BOOLEAN_SCORE if margin is None else 0.5 + 0.5 * min(1.0, margin), rule["explain"])
        else:
            kept_c = Condition(_RULE_CONDITION[rule["kind"]], 0.0, "==", 1.0, "bool", False, True, 0.0,
                               rule["explain"])
        conditions.append(kept_c)
        if kept:
            best_partial = 0.5
            if guard_fired:
                margin = (kept_c.score + guard_score) / 2
                confidence = margin * rule.get("history_factor", 1.0)
                if confidence > best_confidence or (confidence == best_confidence and margin > best_margin):
                    best_path = [kept_c.name, GUARD]
                best_margin = max(best_margin, margin)
                best_confidence = max(best_confidence, confidence)
    if not conditions:
        return None
    conditions.append(guard)
    factor = best_confidence / best_margin if best_margin else 0.0
    history["history_factor"] = round_to_4(factor)
    evaluable = 0
    for c in conditions:
        evaluable += c.evaluable
    return LabelEval("DISCIPLINE", best_margin > 0, conditions, factor, best_margin, best_partial,
                     evaluable / len(conditions), history, best_path)
