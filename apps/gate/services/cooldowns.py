"""Cooldowns: started once per trigger (the last loss of a streak, a trade that broke a rule), announced with
`cooldown.started`; ended by the beat job exactly once each, announced with `cooldown.ended`.

Breaches the scoring run found are announced once each with `rules.breach.detected` (only for trades of the
last `BREACH_WINDOW`: importing a year of history does not replay a year of breaches)."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.bias.selectors import rule_breaches
from apps.events.services import event_append

from ..models import Cooldown, RuleBreach
from ..policy import EffectivePolicy

BREACH_WINDOW = timedelta(days=7)
END_BATCH = 500


def cooldown_payload(cooldown: Cooldown) -> dict:
    return {"cooldownId": cooldown.id, "reason": cooldown.reason, "startsAt": cooldown.starts_at.isoformat(),
            "endsAt": cooldown.ends_at.isoformat(), "message": cooldown.message,
            "evidence": {"value": cooldown.evidence.get("value"), "threshold": cooldown.evidence.get("threshold")}}


def cooldown_start(*, user, reason: str, trigger_key: str, starts_at: datetime, ends_at: datetime, message: str,
                   evidence: dict) -> Cooldown | None:
    """Inside the caller's transaction: the cooldown for this trigger and its `cooldown.started`, or None
    when this trigger already started one (or it would already be over)."""
    if ends_at <= timezone.now():
        return None
    try:
        with transaction.atomic():
            cooldown = Cooldown.objects.create(user=user, reason=reason, trigger_key=trigger_key[:96], message=message,
                                               evidence=evidence, starts_at=starts_at, ends_at=ends_at)
    except IntegrityError:
        return None
    event_append(user=user, type="cooldown.started", payload=cooldown_payload(cooldown))
    return cooldown


def cooldown_for_losses(*, user, policy: EffectivePolicy, streak: int, last_loss: dict | None) -> Cooldown | None:
    """Start the cooldown the user's `cooldownAfterLosses` (or their persona's) asks for after this streak."""
    params = policy.rules.get("cooldownAfterLosses")
    if not params or last_loss is None or streak < int(params["losses"]):
        return None
    hours = float(params["hours"])
    return cooldown_start(
        user=user, reason="losses", trigger_key=f"losses:{last_loss['tradeId']}", starts_at=last_loss["ts"],
        ends_at=last_loss["ts"] + timedelta(hours=hours),
        message=f"{streak} losing exits in a row: your rule asks for {hours:g} hours of cooldown.",
        evidence={"value": streak, "threshold": int(params["losses"])})


def breaches_announce(*, user, policy: EffectivePolicy, now: datetime) -> list[dict]:
    """Announce the rule breaches of recent trades not announced yet (`rules.breach.detected`, one event per
    call with up to 20 of them, newest first) and start a cooldown for the newest breach of a kind the
    persona pauses for. Inside the caller's transaction. -> the new breaches."""
    found = rule_breaches(user_id=user.id, since=now - BREACH_WINDOW)
    if not found:
        return []
    known = set(RuleBreach.objects.filter(user=user, trade_id__in={b["tradeId"] for b in found})
                .values_list("trade_id", "kind"))
    fresh = [b for b in found if (b["tradeId"], b["kind"]) not in known]
    if not fresh:
        return []
    RuleBreach.objects.bulk_create([RuleBreach(user=user, trade_id=b["tradeId"], kind=b["kind"]) for b in fresh],
                                   ignore_conflicts=True)
    event_append(user=user, type="rules.breach.detected", payload={
        "total": len(fresh),
        "breaches": [{"tradeId": b["tradeId"], "symbol": b["symbol"], "ts": b["ts"].isoformat(), "kind": b["kind"],
                      "explain": b["explain"], "evidence": {"value": b["value"], "threshold": b["limit"]}}
                     for b in fresh[:20]],
    })
    hours = float(policy.cooldown.get("afterBreachHours") or 0)
    pausing = [b for b in fresh if b["kind"] in policy.cooldown.get("breachKinds", ())]
    if hours > 0 and pausing:
        newest = pausing[0]
        cooldown_start(user=user, reason="breach", trigger_key=f"breach:{newest['tradeId']}:{newest['kind']}",
                       starts_at=newest["ts"], ends_at=newest["ts"] + timedelta(hours=hours),
                       message=f"A trade broke your {newest['kind']} rule: your persona pauses for {hours:g} hours.",
                       evidence={"value": newest["value"], "threshold": newest["limit"]})
    return fresh


def cooldowns_end_expired(*, now: datetime | None = None, user_id: str | None = None) -> int:
    """End every cooldown whose time is up, exactly once each (`cooldown.ended`), however many runs overlap:
    rows are locked and skipped by a concurrent run, and only rows still open are ended. Only the cooldown rows are
    locked (`of=self`): locking the joined user rows too would let two runs each skip a row whose cooldown the
    other had locked but not taken, so neither ended it. -> how many."""
    now = now or timezone.now()
    ended = 0
    while True:
        with transaction.atomic():
            query = Cooldown.objects.select_for_update(skip_locked=True, of=("self",)).select_related("user").filter(
                ended_at__isnull=True, ends_at__lte=now)
            if user_id:
                query = query.filter(user_id=user_id)
            batch = list(query.order_by("ends_at", "id")[:END_BATCH])
            for cooldown in batch:
                cooldown.ended_at = now
                cooldown.save(update_fields=["ended_at"])
                event_append(user=cooldown.user, type="cooldown.ended", payload={
                    "cooldownId": cooldown.id, "reason": cooldown.reason, "endsAt": cooldown.ends_at.isoformat(),
                    "endedAt": now.isoformat()})
        ended += len(batch)
        if len(batch) < END_BATCH:
            return ended
