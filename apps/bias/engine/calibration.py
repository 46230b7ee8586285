"""Personal calibration of five lines from a user's own history (a Bayesian update, capped).

For each line θ (the FOMO 24-hour rise, the FOMO RSI, the PANIC drawdown, the OVERTRADING multiple of a
usual day, the OVERCONFIDENCE multiple of a usual entry size):

- **prior**: θ ~ Normal(default, τ²) — the default is the seed's line, τ (``prior_sd``) how far a line
  plausibly differs between traders;
- **likelihood**: the line marks where the user's own top 10 % begins, so the data's estimate of θ is the
  90th percentile x̂ of the user's own values of that feature (entries for FOMO and OVERCONFIDENCE, exits
  for PANIC, active days for OVERTRADING), x̂ ~ Normal(θ, s²), with s the order-statistic standard error:
  the ranks n·q ± 1.96·√(n·q·(1−q)) bound a 95 % interval for the quantile, and s = its width ÷ (2 × 1.96);
- **posterior**: precision 1/τ² + 1/s², mean (default/τ² + x̂/s²) ÷ precision — a small or spread-out
  history stays near the default, a long consistent one moves toward the user's own percentile;
- **cap**: the applied line never moves more than ``cap`` from the default (the posterior is clipped).

Nothing is calibrated before ``MIN_TRADES`` (30) scored trades; a line with fewer than
``MIN_OBSERVATIONS`` (10) values of its own keeps its default. The result is stored in the user's
``calibratedThresholds`` rule (``Rule.params``); scoring uses it while that rule is active, each tag records
the lines it used, and deactivating the rule returns every line to its default.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .heuristics import DEFAULT_THRESHOLDS

CALIBRATION_KIND = "calibratedThresholds"
MIN_TRADES = 30
MIN_OBSERVATIONS = 10
QUANTILE = 0.9
Z = 1.96


@dataclass(frozen=True)
class Spec:
    name: str
    feature: str  # what is measured, in words
    prior_sd: float
    cap: float
    digits: int


SPECS: dict[str, Spec] = {
    "FOMO_PCT_24H": Spec("FOMO_PCT_24H", "the 24-hour rise before your entries", prior_sd=0.02, cap=0.03, digits=4),
    "FOMO_RSI": Spec("FOMO_RSI", "RSI(14) at your entries", prior_sd=5.0, cap=7.0, digits=2),
    "PANIC_DRAWDOWN": Spec("PANIC_DRAWDOWN", "the drop from the 7-day high at your exits", prior_sd=0.015, cap=0.02,
                           digits=4),
    "OVERTRADING_MULTIPLE": Spec("OVERTRADING_MULTIPLE", "your busiest moment of each day ÷ your usual day",
                                 prior_sd=0.75, cap=1.0, digits=3),
    "OVERCONFIDENCE_SIZE_RATIO": Spec("OVERCONFIDENCE_SIZE_RATIO", "your entry size ÷ your usual entry size",
                                      prior_sd=0.25, cap=0.4, digits=3),
}


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default)."""
    position = (len(values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def quantile_standard_error(values: list[float], q: float = QUANTILE) -> float:
    """The order-statistic standard error of the q-quantile of sorted ``values``."""
    n = len(values)
    half = Z * math.sqrt(n * q * (1 - q))
    low = max(0, math.floor(n * q - half) - 1)
    high = min(n - 1, math.ceil(n * q + half) - 1)
    return (values[high] - values[low]) / (2 * Z)


def calibrate_one(spec: Spec, values: list[float]) -> dict:
    default = DEFAULT_THRESHOLDS[spec.name]
    clean = sorted(v for v in values if v is not None and math.isfinite(v))
    entry = {"default": default, "value": default, "observations": len(clean), "cap": spec.cap,
             "prior_sd": spec.prior_sd, "observed": None, "observed_se": None, "posterior": None,
             "capped": False, "calibrated": False}
    if len(clean) < MIN_OBSERVATIONS:
        entry["reason"] = f"fewer than {MIN_OBSERVATIONS} observations"
        return entry
    observed = _quantile(clean, QUANTILE)
    # a perfectly flat history says little: never trust it more than a tenth of the prior's spread
    se = max(quantile_standard_error(clean), spec.prior_sd / 10)
    precision = 1 / spec.prior_sd ** 2 + 1 / se ** 2
    posterior = (default / spec.prior_sd ** 2 + observed / se ** 2) / precision
    value = min(max(posterior, default - spec.cap), default + spec.cap)
    entry.update({"observed": round(observed, 6), "observed_se": round(se, 6), "posterior": round(posterior, 6),
                  "posterior_sd": round(math.sqrt(1 / precision), 6), "value": round(value, spec.digits),
                  "capped": value != posterior, "calibrated": True})
    return entry


def calibrate(*, observations: dict[str, list[float]], scored_trades: int) -> dict | None:
    """The ``calibratedThresholds`` rule's params for a user, or None below ``MIN_TRADES`` scored trades."""
    if scored_trades < MIN_TRADES:
        return None
    return {"thresholds": {name: calibrate_one(spec, observations.get(name) or []) for name, spec in SPECS.items()},
            "scored_trades": scored_trades, "quantile": QUANTILE}


def thresholds_from_params(params: dict | None) -> dict | None:
    """The lines a stored calibration sets (each clipped to its cap again), or None when unusable."""
    stored = (params or {}).get("thresholds")
    if not isinstance(stored, dict):
        return None
    values = dict(DEFAULT_THRESHOLDS)
    for name, spec in SPECS.items():
        entry = stored.get(name)
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            default = DEFAULT_THRESHOLDS[name]
            values[name] = min(max(float(value), default - spec.cap), default + spec.cap)
    return values


def observations_from_inputs(rows) -> tuple[dict[str, list[float]], int]:
    """(each line's observations, how many trades) from the stored inputs of a user's scored trades:
    ``rows`` are (trade id, UTC day, inputs) — one per trade; repeats of a trade id are ignored."""
    seen: set = set()
    out: dict[str, list[float]] = {name: [] for name in SPECS}
    busiest: dict = {}
    for trade_id, day, inputs in rows:
        if trade_id in seen or not isinstance(inputs, dict):
            continue
        seen.add(trade_id)
        side = inputs.get("side")
        if side == "BUY":
            for name, key in (("FOMO_PCT_24H", "pct_change_24h_before"), ("FOMO_RSI", "RSI_14"),
                              ("OVERCONFIDENCE_SIZE_RATIO", "size_vs_median")):
                if isinstance(inputs.get(key), (int, float)):
                    out[name].append(float(inputs[key]))
        elif side == "SELL" and isinstance(inputs.get("drawdown_recent"), (int, float)):
            out["PANIC_DRAWDOWN"].append(float(inputs["drawdown_recent"]))
        count, usual = inputs.get("trades_today"), inputs.get("baseline_median_trades")
        if isinstance(count, (int, float)) and isinstance(usual, (int, float)) and usual > 0:
            busiest[day] = max(busiest.get(day, 0.0), count / usual)
    out["OVERTRADING_MULTIPLE"] = list(busiest.values())
    return out, len(seen)
