"""Gate writes: intents and their decisions, overrides, cooldowns, rule breaches, links to later trades."""
from .cooldowns import breaches_announce, cooldown_for_losses, cooldown_start, cooldowns_end_expired
from .intents import (
    decision_payload,
    decision_summary,
    intent_evaluate,
    intent_submit,
    intent_task_complete,
    intents_link_trades,
    override_request,
)

__all__ = [
    "breaches_announce", "cooldown_for_losses", "cooldown_start", "cooldowns_end_expired", "decision_payload",
    "decision_summary", "intent_evaluate", "intent_submit", "intent_task_complete", "intents_link_trades",
    "override_request",
]
