"""Bias writes: scoring trades into BiasTags, reflections and coach events."""
from __future__ import annotations


def bias_score_trades(*, user_id: str, trade_ids: list[str]) -> int:
    """Score the given trades of one user; returns how many trades were tagged."""
    return 0
