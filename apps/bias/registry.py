"""What higher apps can plug into bias without bias importing them (register in your AppConfig.ready()).

    from apps.bias.registry import TradesScored, on_trades_scored
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TradesScored:
    user_id: str
    trades_scored: int


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
