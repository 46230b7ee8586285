"""The bias scoring engine: pure functions over trades and candles (no ORM, no I/O except the optional
LLM reflection client).

- ``compute_indicators`` — vectorised indicators per symbol series (see ``indicators``).
- ``match_positions`` — FIFO lots per symbol, fees netted, partial fills, unknown P/L kept unknown.
- ``score_trades`` — as-of join of candles to trades, trade-history features, labels with evidence and
  confidence, and the disposition effect (see ``scoring``, ``heuristics``, ``rules``).
- ``reflect`` / ``lint_reflection`` — two-sentence behavioural reflections and the non-advisory linter.

Confidence ∈ [0, 1]: mean over the fired conditions of 0.5 + 0.5 × min(1, |value − threshold| / spread),
times a history factor (how much candle / trade history backs the evidence). See ``heuristics`` and
docs/bias-engine.md.
"""
from . import native

native.install()  # before the modules it may load compiled are first imported

from .indicators import compute_indicators  # noqa: E402
from .positions import match_positions  # noqa: E402
from .reflections import HABITS, habit_for, lint_reflection, reflect  # noqa: E402
from .scoring import score_trades  # noqa: E402
from .types import (  # noqa: E402
    ENGINE_VERSION,
    LABELS,
    RULE_KINDS,
    SIDES,
    PositionInfo,
    Reflection,
    RuleInput,
    ScoreResult,
    TagResult,
    TradeInput,
)

__all__ = [
    "ENGINE_VERSION", "LABELS", "RULE_KINDS", "SIDES", "PositionInfo", "Reflection", "RuleInput", "ScoreResult", "TagResult", "TradeInput",
    "HABITS", "compute_indicators", "habit_for", "lint_reflection", "match_positions", "reflect", "score_trades",
]
