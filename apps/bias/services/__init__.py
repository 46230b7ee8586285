"""Bias writes: scoring, reflections and feedback, rules."""
from .reflections import reflection_feedback_record, reflection_request
from .rules import rule_upsert
from .scoring import bias_score_trades

__all__ = ["bias_score_trades", "reflection_feedback_record", "reflection_request", "rule_upsert"]
