"""Weekly digests: scheduling, the build job, rebuilds.

* `digests_schedule_due` (beat `digest.weekly`, hourly) finds every active user whose last week has ended
  on their clock and has no digest yet, and queues one `Digest` row per (user, week) — the unique
  constraint on (user, periodStart, periodEnd) makes a second beat, a second scheduler or a rerun find the
  row instead of adding one.
* `digest_execute` is the job (task `digest.build`, queue `digest`): take the lease, read and compute the
  payload outside any transaction, then in one transaction store it, set `built_at` and append
  `digest.ready` — once per build, because a retry finds `built_at` set and skips to the email. The email
  is handed to Django's backend afterwards and `delivered_at` recorded; a failure there retries the job
  (the email may then be sent twice, never lost).
* `digest_rebuild` clears `built_at` and queues the row again: new payload, a new `digest.ready`.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.bias.selectors import disposition_for_period, rule_kinds_active, trade_outcomes
from apps.core.errors import DomainError
from apps.core.jobs import (
    job_claim,
    job_dispatch,
    job_done,
    job_fail,
    job_kind_register,
    job_lease_kept,
    job_locked,
    job_requeue,
)
from apps.events.services import event_append
from apps.trades.selectors import trade_rows

from .models import Digest
from .narrative import narrative_compose, suggestion_compose
from .payload import STREAK_LOOKBACK_DAYS, WeekData, figures_compute
from .periods import Week, week_last_finished, week_parse

logger = logging.getLogger(__name__)

TASK = "digest.build"
SCHEDULE_BATCH = 500
PAYLOAD_VERSION = 1

job_kind_register(model=Digest, task_name=TASK, max_attempts=lambda: settings.DIGEST_MAX_ATTEMPTS)


# --- building -------------------------------------------------------------------------------------------

def digest_week_data(*, user, week: Week) -> WeekData:
    """Every row one digest needs, in a fixed number of queries whatever the number of trades."""
    trades = trade_rows(user_id=user.id, since=week.previous.start, until=week.end)
    active = rule_kinds_active(user_id=user.id)
    outcomes = trade_outcomes(user_id=user.id, since=week.previous.start, until=week.end,
                              rules_since=week.end - timedelta(days=STREAK_LOOKBACK_DAYS) if active else None)
    sold = sorted({t["symbol"] for t in trades if t["side"] == "SELL" and week.start <= t["ts"] < week.end})
    history: list[dict] = []
    history_outcomes: dict[str, dict] = {}
    if sold:  # the lots this week's sales closed may have been opened long before
        history = trade_rows(user_id=user.id, until=week.previous.start, symbols=sold)
        history_outcomes = trade_outcomes(user_id=user.id, until=week.previous.start, symbols=sold)
    return WeekData(week=week, trades=trades, outcomes=outcomes, history=history, history_outcomes=history_outcomes,
                    rule_days=outcomes if active else {}, active_rules=active,
                    disposition=disposition_for_period(user=user, since=week.start, until=week.end))


def digest_payload_build(*, user, week: Week) -> dict:
    """The whole payload for one user and week (reads only; the narrative may ask a configured model)."""
    figures = figures_compute(digest_week_data(user=user, week=week))
    payload = {"version": PAYLOAD_VERSION, **figures}
    payload["suggestion"] = suggestion_compose(figures=figures, tone=user.coach_tone)
    payload["narrative"] = narrative_compose(payload=payload, tone=user.coach_tone)
    return payload


def digest_id(*, user_id: str, week: Week) -> str:
    """The digest's id, the same for every scheduler that computes it: sha256(user, start, end)."""
    key = f"{user_id}|{week.start.isoformat()}|{week.end.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _new_digest(*, user_id: str, week: Week) -> Digest:
    return Digest(id=digest_id(user_id=user_id, week=week), user_id=user_id, period_start=week.start,
                  period_end=week.end, week=week.label, timezone=week.zone)


def digest_request(*, user, week: Week) -> tuple[Digest, bool]:
    """The (user, week) digest, queued for building when it did not exist. Returns (digest, created)."""
    with transaction.atomic():
        digest, created = Digest.objects.get_or_create(
            user=user, period_start=week.start, period_end=week.end,
            defaults={"id": digest_id(user_id=user.pk, week=week), "week": week.label, "timezone": week.zone})
        if created:
            job_dispatch(task_name=TASK, job_id=digest.id)
    return digest, created


def digest_rebuild(*, user, week: Week) -> Digest:
    """Build the (user, week) digest again (or for the first time): a new payload and a new `digest.ready`."""
    with transaction.atomic():
        digest, created = Digest.objects.select_for_update().get_or_create(
            user=user, period_start=week.start, period_end=week.end,
            defaults={"id": digest_id(user_id=user.pk, week=week), "week": week.label, "timezone": week.zone})
        if created:
            job_dispatch(task_name=TASK, job_id=digest.id)
            return digest
        digest.built_at = None
        digest.save(update_fields=["built_at"])
        job_requeue(task_name=TASK, job=digest, reset_attempts=True)
    return digest


def digest_execute(*, job_id: str) -> Digest | None:
    """Run one digest build (see the module docstring)."""
    from .mailing import digest_email_send

    digest, owner = job_claim(task_name=TASK, job_id=job_id)
    if owner is None:
        return digest
    try:
        with job_lease_kept(task_name=TASK, job_id=job_id, owner=owner):
            user = digest.user
            mail_wanted = user.digest_email and user.is_active and digest.delivered_at is None
            if digest.built_at is None:
                week = Week(monday=digest.period_start.astimezone(_zone(digest.timezone)).date(), zone=digest.timezone)
                payload = digest_payload_build(user=user, week=week)
                with transaction.atomic():
                    locked = job_locked(task_name=TASK, job_id=job_id, owner=owner)
                    if locked is None:
                        return Digest.objects.filter(pk=job_id).first()
                    locked.payload, locked.built_at = payload, timezone.now()
                    locked.save(update_fields=["payload", "built_at", "lease_expires_at", "updated_at"])
                    event_append(user=user, type="digest.ready",
                                 payload={"digestId": locked.id, "periodStart": locked.period_start.isoformat(),
                                          "periodEnd": locked.period_end.isoformat()})
                    if not mail_wanted:  # nothing left to do: done in the same transaction
                        job_done(task_name=TASK, job=locked)
                        return locked
                digest = locked
            if mail_wanted:
                digest_email_send(digest=digest)
    except DomainError as exc:
        return job_fail(task_name=TASK, job_id=job_id, owner=owner, error=exc.message, retry=False)
    except Exception as exc:
        logger.exception("digest %s failed", job_id)
        return job_fail(task_name=TASK, job_id=job_id, owner=owner, retry=True,
                        error=f"Building or mailing the digest stopped ({type(exc).__name__}); it is retried.")
    with transaction.atomic():
        locked = job_locked(task_name=TASK, job_id=job_id, owner=owner)
        if locked is None:
            return Digest.objects.filter(pk=job_id).first()
        if mail_wanted:
            locked.delivered_at = timezone.now()
            locked.save(update_fields=["delivered_at"])
        job_done(task_name=TASK, job=locked)
    return locked


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


# --- scheduling -----------------------------------------------------------------------------------------

def digests_schedule_due(*, now: datetime | None = None) -> int:
    """Queue the digest of every active user whose last week (on their clock) ended and has none. -> how many.

    Rows are inserted in bulk with their deterministic ids (`ON CONFLICT DO NOTHING`): a scheduler running at
    the same moment inserts nothing twice, and a job sent twice runs once (its lease)."""
    now = now or timezone.now()
    users = list(get_user_model().objects.filter(is_active=True).values_list("id", "timezone", "created_at"))
    weeks: dict[str, Week] = {}
    for _, zone, _ in users:
        if zone not in weeks:
            weeks[zone] = week_last_finished(now=now, zone=_valid_zone(zone))
    ends = {week.end for week in weeks.values()}
    existing = set(Digest.objects.filter(period_end__in=ends).values_list("user_id", "period_start"))
    due = [_new_digest(user_id=user_id, week=weeks[zone]) for user_id, zone, created_at in users
           if (user_id, weeks[zone].start) not in existing and created_at < weeks[zone].end]
    for start in range(0, len(due), SCHEDULE_BATCH):
        batch = due[start:start + SCHEDULE_BATCH]
        with transaction.atomic():
            Digest.objects.bulk_create(batch, ignore_conflicts=True)
            for digest in batch:
                job_dispatch(task_name=TASK, job_id=digest.id)
    return len(due)


def _valid_zone(zone: str) -> str:
    try:
        _zone(zone)
    except (ValueError, KeyError, OSError):
        return "UTC"
    return zone


def digests_build_now(*, users, week_label: str | None = None, now: datetime | None = None) -> list[Digest]:
    """Build or rebuild, here and now, each user's digest of `week_label` ("2026-W47", on each user's
    clock) or of their last finished week. A digest that exists is rebuilt (new payload, new event)."""
    now = now or timezone.now()
    out = []
    for user in users:
        zone = _valid_zone(user.timezone)
        week = week_parse(value=week_label, zone=zone) if week_label else week_last_finished(now=now, zone=zone)
        digest = digest_rebuild(user=user, week=week)
        out.append(digest_execute(job_id=digest.id) or digest)
    return out
