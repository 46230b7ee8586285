"""What higher apps can plug into bias without bias importing them (register in your AppConfig.ready()).

    from apps.bias.registry import TradesScored, on_trades_scored
    from apps.bias.registry import PlannedStop, planned_stops_provider
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class TradesScored:
    """A scoring run of the user finished. `since`: the time of the earliest trade it labelled — the trades
    before it kept their labels and FIFO outcomes (an outcome depends only on the trades before it), except
    that a buy still open then may since be matched (its matched quantity grows); so a listener may look at
    the trades from then on, and the lots open at that time, only. None when not known (treat every trade
    as changed)."""

    user_id: str
    trades_scored: int
    since: datetime | None = None


_trades_scored: list[Callable[[TradesScored], None]] = []


def on_trades_scored(hook: Callable[[TradesScored], None]) -> Callable[[TradesScored], None]:
    """Register `hook(TradesScored)`: called inside the transaction that finishes a scoring run of the user
    (tags, positions and events committed with what the hook writes, or not at all). Register in ready()."""
    if hook not in _trades_scored:
        _trades_scored.append(hook)
    return hook


def trades_scored_notify(event: TradesScored) -> None:
    for hook in list(_trades_scored):
        hook(event)


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """The stop of a trader's own plan for the trade that closed the planned position (the sale of a long, the
    buy of a short): scoring judges that trade against it (rule kind ``plannedStop``)."""

    intent_id: str
    symbol: str
    direction: str  # long | short
    stop: Decimal
    exit_trade_id: str
    exit_price: Decimal


_planned_stop_providers: list[Callable[[str], list[PlannedStop]]] = []


def planned_stops_provider(provider: Callable[[str], list[PlannedStop]]) -> Callable[[str], list[PlannedStop]]:
    """Register `provider(user_id) -> [PlannedStop]` (the gate knows the plans). Register in ready()."""
    if provider not in _planned_stop_providers:
        _planned_stop_providers.append(provider)
    return provider


def planned_stops_provide(*, user_id: str) -> list[PlannedStop]:
    """Every registered provider's planned stops for the user (none when no app provides them)."""
    return [stop for provider in list(_planned_stop_providers) for stop in provider(user_id)]
