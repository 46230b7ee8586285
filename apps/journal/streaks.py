"""Rule streaks: for each of the user's active rules, the trading days (in the user's time zone) on which the
rule held — no trade that day broke it — counted as the current run (up to the latest trading day) and the best
run. Days before the rule was set do not count. Pure functions over dates; the reads are in selectors."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class RuleStreak:
    kind: str
    current: int
    best: int
    days_held: int
    days_broken: int
    last_broken: date | None


def streak_count(*, kind: str, trading_days: list[date], broken_days: set[date], since: date | None) -> RuleStreak:
    """Count runs of held days over the sorted `trading_days` (from `since`, when the rule was set)."""
    current = best = held = broken = 0
    last_broken = None
    for day in trading_days:
        if since is not None and day < since:
            continue
        if day in broken_days:
            current = 0
            broken += 1
            last_broken = day
        else:
            current += 1
            held += 1
            best = max(best, current)
    return RuleStreak(kind=kind, current=current, best=best, days_held=held, days_broken=broken,
                      last_broken=last_broken)
