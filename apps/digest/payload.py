"""The weekly digest's figures, computed from plain rows (no ORM here; `services.digest_payload_build` reads).

P/L attribution: each closing trade (SELL) of the week is matched to the lots it closed, FIFO per market, as
the scoring engine matches them. The realised P/L of each matched piece,

    piece = qty × (sell price − lot price) − qty × the lot's buy fee per unit − sell fee × qty / sell qty,

(the pieces of one sale add up to its realised P/L) goes to every label carried by the sale *or* by the
buy that opened the lot, once per label. Amounts stay in their quote currency: nothing is ever added or
compared across currencies, so `largestWin` / `largestLoss` and the habits' figures are per currency.

Rule streaks: a day (on the user's clock) with at least one scored trade counts for a rule when the rule
was kept on one of its trades and broken on none; a day on which it was broken ends the streak; days
where it did not apply leave the streak as it was. `currentDays` runs up to the end of the week,
`bestDays` is the longest run in the look-back window, `brokenOn` lists the week's days it was broken.
This count is the fallback: when an app provides rule streaks through `apps.digest.registry` (the journal
does, with the streaks /rules/ shows), the payload carries those instead, as of the end of the week.
"""
from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .periods import Week

PROBLEM_LABELS = ("FOMO", "PANIC", "REVENGE", "OVERTRADING", "OVERCONFIDENCE")
HABIT_EXCLUDED = frozenset({"NONE"})
STREAK_LOOKBACK_DAYS = 182
ZERO = Decimal(0)


def amount(value: Decimal | None) -> str | None:
    """Decimal as a plain string without exponent or trailing zeros ("120.5", "-3", "0")."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def quote_of(row: dict) -> str:
    return (row.get("quote_asset") or row["symbol"].rsplit("-", 1)[-1]).upper()


@dataclass
class WeekData:
    """Everything one digest is computed from."""

    week: Week
    trades: list[dict]  # the user's trades from the previous week's start to this week's end, (ts, id) order
    outcomes: dict[str, dict]  # trade id → {"labels", "realizedPnl", "ts", "rules"} (bias selector)
    history: list[dict] = field(default_factory=list)  # earlier trades of the markets sold this week
    history_outcomes: dict[str, dict] = field(default_factory=dict)
    rule_days: dict[str, dict] = field(default_factory=dict)  # look-back window's outcomes with rules
    active_rules: list[str] = field(default_factory=list)
    disposition: dict | None = None


def _in(week: Week, row: dict) -> bool:
    return week.start <= row["ts"] < week.end


def attribute_pnl(*, week: Week, trades: list[dict], outcomes: dict[str, dict]) -> dict[str, dict[str, Decimal]]:
    """{label: {quote: realised P/L}} for the week's sales (see the module docstring). `trades` must hold
    every trade of the sold markets up to the week's end, and `outcomes` their labels and P/L."""
    ordered = sorted(trades, key=lambda t: (t["ts"], 0 if t["side"] == "BUY" else 1, t["id"]))
    books: dict[str, deque[list]] = defaultdict(deque)
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for trade in ordered:
        lots = books[trade["symbol"]]
        qty, price = trade["qty"], trade["price"]
        if trade["side"] == "BUY":
            fee_per_unit = (trade["fee"] or ZERO) / qty if qty else ZERO
            lots.append([trade["id"], qty, price, fee_per_unit])
            continue
        outcome = outcomes.get(trade["id"])
        counted = _in(week, trade) and outcome is not None and outcome["realizedPnl"] is not None
        sell_fee_per_unit = (trade["fee"] or ZERO) / qty if qty else ZERO
        remaining = qty
        while remaining > 0 and lots:
            lot = lots[0]
            take = min(remaining, lot[1])
            if counted:
                piece = take * (price - lot[2]) - take * lot[3] - take * sell_fee_per_unit
                buy_labels = (outcomes.get(lot[0]) or {}).get("labels") or []
                for label in set(outcome["labels"]) | set(buy_labels):
                    out[label][quote_of(trade)] += piece
            lot[1] -= take
            remaining -= take
            if lot[1] <= 0:
                lots.popleft()
    return {label: dict(per_quote) for label, per_quote in out.items()}


def _week_figures(week: Week, trades: list[dict], outcomes: dict[str, dict]) -> dict:
    rows = [t for t in trades if _in(week, t)]
    labels: Counter = Counter()
    pnl: dict[str, Decimal] = defaultdict(Decimal)
    closes: list[tuple[dict, Decimal]] = []
    for row in rows:
        outcome = outcomes.get(row["id"])
        if outcome is None:
            continue
        labels.update(set(outcome["labels"]))
        if row["side"] == "SELL" and outcome["realizedPnl"] is not None:
            pnl[quote_of(row)] += outcome["realizedPnl"]
            closes.append((row, outcome["realizedPnl"]))
    return {"rows": rows, "labels": labels, "pnl": dict(pnl), "closes": closes}


def _extreme(closes: list[tuple[dict, Decimal]], *, wins: bool) -> dict[str, dict]:
    best: dict[str, tuple[dict, Decimal]] = {}
    for row, pnl in closes:
        if (pnl > 0) if wins else (pnl < 0):
            quote = quote_of(row)
            current = best.get(quote)
            if current is None or (pnl > current[1] if wins else pnl < current[1]):
                best[quote] = (row, pnl)
    return {quote: {"tradeId": row["id"], "symbol": row["symbol"], "pnl": amount(pnl), "ts": row["ts"].isoformat()}
            for quote, (row, pnl) in sorted(best.items())}


def main_currency(pnl_by_label: dict[str, dict[str, Decimal]], closes: list[tuple[dict, Decimal]]) -> str | None:
    """The quote currency habits are ranked in: the one most of the week's sales settled in (then A→Z)."""
    counts = Counter(quote_of(row) for row, _ in closes)
    if not counts:
        quotes = sorted({q for per in pnl_by_label.values() for q in per})
        return quotes[0] if quotes else None
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


def habits(pnl_by_label: dict[str, dict[str, Decimal]], labels: Counter, quote: str | None) -> tuple[dict | None, dict | None]:
    """(best, worst): the labels (NONE excluded) with the highest and lowest P/L attributed in `quote` (no
    worst when every label has the same figure)."""
    ranked = sorted(((label, per[quote]) for label, per in pnl_by_label.items()
                     if quote in per and label not in HABIT_EXCLUDED), key=lambda item: (-item[1], item[0]))
    if not ranked:
        return None, None

    def describe(label: str, pnl: Decimal) -> dict:
        return {"label": label, "quote": quote, "pnl": amount(pnl), "trades": labels.get(label, 0),
                "pnlByQuote": {q: amount(v) for q, v in sorted(pnl_by_label[label].items())}}

    best = describe(*ranked[0])
    worst = describe(*ranked[-1]) if len(ranked) > 1 and ranked[-1][1] < ranked[0][1] else None
    return best, worst


def streaks(*, week: Week, active_rules: list[str], rule_days: dict[str, dict]) -> list[dict]:
    """Per active rule {kind, currentDays, bestDays, brokenOn} (see the module docstring)."""
    per_day: dict[str, dict[date, str]] = {kind: {} for kind in active_rules}
    for outcome in rule_days.values():
        day = week.day_of(outcome["ts"])
        for rule in outcome.get("rules") or []:
            days = per_day.get(rule["kind"])
            if days is None or rule["status"] not in ("kept", "broken"):
                continue
            if rule["status"] == "broken" or days.get(day) is None:
                days[day] = rule["status"]
    out = []
    for kind in active_rules:
        current = best = 0
        broken_on = []
        for day, status in sorted(per_day[kind].items()):
            if status == "kept":
                current += 1
                best = max(best, current)
            else:
                current = 0
                if week.monday <= day < week.monday + timedelta(days=7):
                    broken_on.append(day.isoformat())
        out.append({"kind": kind, "currentDays": current, "bestDays": best, "brokenOn": broken_on})
    return out


def dominant_problem(labels: Counter, pnl_by_label: dict[str, dict[str, Decimal]], quote: str | None) -> str | None:
    """The week's most frequent problem label; ties go to the one with the worse P/L in `quote`, then A→Z."""
    present = [label for label in PROBLEM_LABELS if labels.get(label)]
    if not present:
        return None
    return sorted(present, key=lambda label: (-labels[label], (pnl_by_label.get(label) or {}).get(quote, ZERO),
                                              label))[0]


def _disposition(stat: dict | None) -> dict | None:
    if stat is None:
        return None
    return {"pgr": stat["pgr"], "plr": stat["plr"], "effect": stat["effect"],
            "counts": {"realizedGains": stat["realizedGains"], "realizedLosses": stat["realizedLosses"],
                       "paperGains": stat["paperGains"], "paperLosses": stat["paperLosses"]},
            "saleDays": stat["saleDays"], "significance": stat.get("significance")}


def figures_compute(data: WeekData) -> dict:
    """The payload's figures (everything but `suggestion` and `narrative`), camelCase, decimals as strings."""
    week = data.week
    current = _week_figures(week, data.trades, data.outcomes)
    previous = _week_figures(week.previous, data.trades, data.outcomes)
    everything = {**data.history_outcomes, **data.outcomes}
    pnl_by_label = attribute_pnl(week=week, trades=[*data.history, *data.trades], outcomes=everything)
    quote = main_currency(pnl_by_label, current["closes"])
    best, worst = habits(pnl_by_label, current["labels"], quote)
    wins = sum(1 for _, pnl in current["closes"] if pnl > 0)
    closed = len(current["closes"])
    all_labels = sorted(set(current["labels"]) | set(previous["labels"]))
    quotes = sorted(set(current["pnl"]) | set(previous["pnl"]))
    return {
        "week": week.label,
        "timezone": week.zone,
        "periodStart": week.start.isoformat(),
        "periodEnd": week.end.isoformat(),
        "trades": len(current["rows"]),
        "labels": dict(sorted(current["labels"].items())),
        "pnlByLabel": {label: {q: amount(v) for q, v in sorted(per.items())} for label, per in sorted(pnl_by_label.items())},
        "realizedPnl": {q: amount(v) for q, v in sorted(current["pnl"].items())},
        "closedTrades": closed,
        "winningTrades": wins,
        "winRate": round(wins / closed, 4) if closed else None,
        "largestWin": _extreme(current["closes"], wins=True),
        "largestLoss": _extreme(current["closes"], wins=False),
        "disposition": _disposition(data.disposition),
        "vsPreviousWeek": {
            "previousTrades": len(previous["rows"]),
            "trades": len(current["rows"]) - len(previous["rows"]),
            "labels": {label: current["labels"].get(label, 0) - previous["labels"].get(label, 0) for label in all_labels},
            "realizedPnl": {q: amount(current["pnl"].get(q, ZERO) - previous["pnl"].get(q, ZERO)) for q in quotes},
        },
        "streaks": streaks(week=week, active_rules=data.active_rules, rule_days=data.rule_days),
        "habitCurrency": quote,
        "bestHabit": best,
        "worstHabit": worst,
        "dominantProblem": dominant_problem(current["labels"], pnl_by_label, quote),
    }
