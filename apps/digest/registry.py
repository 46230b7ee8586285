"""What higher apps can plug into the digest without the digest importing them (register in ready()).

    from apps.digest.registry import rule_streaks_provider
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

# provider(users, since, until) -> {user id: [{kind, currentDays, bestDays, brokenOn}]}: each active rule's
# streak as of `until` (days on the user's clock), `brokenOn` the local dates in [since, until) it was broken
RuleStreaksProvider = Callable[[list, datetime, datetime], dict[str, list[dict]]]
_rule_streaks: list[RuleStreaksProvider] = []


def rule_streaks_provider(provider: RuleStreaksProvider) -> RuleStreaksProvider:
    """Register the app that keeps the rule streaks the user sees elsewhere (the journal), so the digest reports
    the same figures. Register in ready()."""
    if provider not in _rule_streaks:
        _rule_streaks.append(provider)
    return provider


def rule_streaks_provide(*, users: list, since: datetime, until: datetime) -> dict[str, list[dict]] | None:
    """The registered provider's streaks for `users`, or None when no app provides them."""
    if not _rule_streaks or not users:
        return None if not _rule_streaks else {}
    return _rule_streaks[0](users, since, until)
