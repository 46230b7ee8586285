"""Weekly digests: scheduling, the build jobs, rebuilds.

* `digests_schedule_due` (beat `digest.weekly`, hourly) finds every active user whose last week has ended
  on their clock and has no digest yet, inserts one `Digest` row per (user, week) — deterministic ids and
  the unique (user, periodStart, periodEnd) make a second beat or a rerun insert nothing — and queues them
  in batches (`DigestRun`, task `digest.run`, queue `digest`) whose rows are read together.
* Each `Digest` is itself a leased job (task `digest.build`): a run claims its digests in one statement
  (`job_claim_many`) and locks and finishes them together; a digest left behind (a run that died, a
  retry) is resumed on its own by the reaper. Building = reading and
  computing the payload outside any transaction, then one transaction storing it, setting `built_at` and
  appending `digest.ready` — once per build, because a retry finds `built_at` set and skips to the email.
  The email is handed to Django's backend after commit and `delivered_at` recorded; a failure there
  retries that digest (the email may then be sent twice, never lost).
* `digest_rebuild` clears `built_at` and queues the row again: new payload, a new `digest.ready`.
"""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.bias.selectors import disposition_for_users, rule_kinds_active, trade_outcomes
from apps.core.errors import DomainError
from apps.core.jobs import (
    job_claim,
    job_claim_many,
    job_dispatch,
    job_done,
    job_done_many,
    job_fail,
    job_kind_register,
    job_lease_kept,
    job_locked,
    job_locked_many,
    job_requeue,
)
from apps.events.services import event_append
from apps.trades.selectors import trade_rows

from .mailing import digest_emails_send
from .models import Digest, DigestRun
from .narrative import narrative_compose, suggestion_compose
from .payload import STREAK_LOOKBACK_DAYS, WeekData, figures_compute
from .periods import Week, week_last_finished, week_parse
from .registry import rule_streaks_provide

logger = logging.getLogger(__name__)

TASK = "digest.build"
RUN_TASK = "digest.run"
RUN_SIZE = 50
PAYLOAD_VERSION = 1

job_kind_register(model=Digest, task_name=TASK, max_attempts=lambda: settings.DIGEST_MAX_ATTEMPTS)
job_kind_register(model=DigestRun, task_name=RUN_TASK, max_attempts=lambda: settings.DIGEST_MAX_ATTEMPTS)


# --- building -------------------------------------------------------------------------------------------

def digests_week_data(*, users: list, week: Week) -> dict[str, WeekData]:
    """Every row the users' digests of one week need, in a fixed number of queries whatever the number of
    users and trades. -> {user id: WeekData}."""
    ids = [user.id for user in users]
    trades = trade_rows(user_ids=ids, since=week.previous.start, until=week.end)
    active = rule_kinds_active(user_ids=ids)
    outcomes = trade_outcomes(user_ids=ids, since=week.previous.start, until=week.end,
                              rules_since=week.end - timedelta(days=STREAK_LOOKBACK_DAYS) if active else None)
    sold: dict[str, set[str]] = defaultdict(set)
    for row in trades:
        if row["side"] == "SELL" and week.start <= row["ts"] < week.end:
            sold[row["user_id"]].add(row["symbol"])
    markets = {user_id: sorted(symbols) for user_id, symbols in sold.items()}
    # the lots this week's sales closed may have been opened long before
    history = trade_rows(user_ids=list(markets), until=week.previous.start, markets=markets) if markets else []
    history_outcomes = (trade_outcomes(user_ids=list(markets), until=week.previous.start, markets=markets)
                        if markets else {})
    # Sale days are stored as UTC days (Odean's counts at each day's close, shared with the bias summary):
    # each belongs to the one local week holding its date, so no sale day is counted in two digests.
    disposition = disposition_for_users(user_ids=ids, since=week.dates_start, until=week.dates_end)
    by_user = {user.id: WeekData(week=week, trades=[], outcomes={}, active_rules=active.get(user.id, []),
                                 disposition=disposition.get(user.id)) for user in users}
    for row in trades:
        by_user[row["user_id"]].trades.append(row)
    for row in history:
        by_user[row["user_id"]].history.append(row)
    for trade_id, outcome in outcomes.items():
        data = by_user[outcome["user_id"]]
        data.outcomes[trade_id] = outcome
        if data.active_rules:
            data.rule_days[trade_id] = outcome
    for trade_id, outcome in history_outcomes.items():
        by_user[outcome["user_id"]].history_outcomes[trade_id] = outcome
    return by_user


def digest_payloads_build(*, users: list, week: Week) -> dict[str, dict]:
    """{user id: the whole payload} for one week (reads only; the narrative may ask a configured model)."""
    data = digests_week_data(users=users, week=week)
    streaks = rule_streaks_provide(users=[u for u in users if data[u.id].active_rules], since=week.start,
                                   until=week.end)
    out = {}
    for user in users:
        figures = figures_compute(data[user.id])
        if streaks is not None:  # the streaks the user sees on /rules/ (the journal's), as of the week's end
            figures["streaks"] = streaks.get(user.id, [])
        payload = {"version": PAYLOAD_VERSION, **figures}
        payload["suggestion"] = suggestion_compose(figures=figures, tone=user.coach_tone)
        payload["narrative"] = narrative_compose(payload=payload, tone=user.coach_tone)
        out[user.id] = payload
    return out


def digest_payload_build(*, user, week: Week) -> dict:
    return digest_payloads_build(users=[user], week=week)[user.id]


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


def _week_of(digest: Digest) -> Week:
    return Week(monday=digest.period_start.astimezone(_zone(digest.timezone)).date(), zone=digest.timezone)


def digests_build_claimed(*, claimed: dict[str, str]) -> int:
    """Build the digests whose leases this runner holds ({digest id: lease owner}). -> how many finished.

    Payloads are computed for all of them first (reads grouped by week), then one transaction stores each
    payload with its `digest.ready` (a digest whose lease was lost meanwhile is left to its new runner);
    the emails go out after commit over one connection, and each mailed digest is marked delivered and done."""
    digests = list(Digest.objects.filter(id__in=list(claimed)).select_related("user"))
    users = {digest.id: digest.user for digest in digests}
    pending: dict[tuple, list[Digest]] = defaultdict(list)
    for digest in digests:
        if digest.built_at is None:
            pending[(digest.period_start, digest.timezone)].append(digest)
    try:
        payloads: dict[str, dict] = {}
        for group in pending.values():
            built = digest_payloads_build(users=[users[d.id] for d in group], week=_week_of(group[0]))
            payloads.update({d.id: built[d.user_id] for d in group})
    except DomainError as exc:
        for digest_id_ in claimed:
            job_fail(task_name=TASK, job_id=digest_id_, owner=claimed[digest_id_], error=exc.message, retry=False)
        return 0
    except Exception as exc:
        logger.exception("building %d digest(s) failed", len(claimed))
        for digest_id_ in claimed:
            job_fail(task_name=TASK, job_id=digest_id_, owner=claimed[digest_id_], retry=True,
                     error=f"Building the digest stopped ({type(exc).__name__}); it is retried.")
        return 0
    finished, to_mail = 0, []
    now = timezone.now()
    with transaction.atomic():
        locked_rows = job_locked_many(task_name=TASK, owners=claimed)  # a lost lease: left to its new runner
        built, done = [], []
        for digest in digests:
            locked = locked_rows.get(digest.id)
            if locked is None:
                continue
            user = users[digest.id]
            if locked.built_at is None:
                locked.payload, locked.built_at, locked.updated_at = payloads[digest.id], now, now
                built.append(locked)
                event_append(user=user, type="digest.ready",
                             payload={"digestId": locked.id, "periodStart": locked.period_start.isoformat(),
                                      "periodEnd": locked.period_end.isoformat()})
            if user.digest_email and user.is_active and locked.delivered_at is None:
                to_mail.append((locked, user))
            else:  # nothing left to do: done in the same transaction
                done.append(locked)
        Digest.objects.bulk_update(built, ["payload", "built_at", "lease_expires_at", "updated_at"])
        job_done_many(task_name=TASK, jobs=done)
        finished += len(done)
    if not to_mail:
        return finished
    sent, failed = digest_emails_send(items=to_mail)
    with transaction.atomic():
        locked_rows = job_locked_many(task_name=TASK, owners={d.id: claimed[d.id] for d in sent})
        Digest.objects.filter(id__in=list(locked_rows)).update(delivered_at=timezone.now())
        job_done_many(task_name=TASK, jobs=list(locked_rows.values()))
        finished += len(locked_rows)
    for digest, exc in failed:
        job_fail(task_name=TASK, job_id=digest.id, owner=claimed[digest.id], retry=True,
                 error=f"Mailing the digest failed ({type(exc).__name__}); it is retried.")
    return finished


def digest_execute(*, job_id: str) -> Digest | None:
    """Run one digest's job (the task `digest.build`; the reaper's way back for any digest)."""
    digest, owner = job_claim(task_name=TASK, job_id=job_id)
    if owner is None:
        return digest
    with job_lease_kept(task_name=TASK, job_id=job_id, owner=owner):
        digests_build_claimed(claimed={job_id: owner})
    return Digest.objects.filter(pk=job_id).first()


def digest_run_execute(*, job_id: str) -> DigestRun | None:
    """Run a batch (the task `digest.run`): claim its digests still queued, build them together."""
    run, owner = job_claim(task_name=RUN_TASK, job_id=job_id)
    if owner is None:
        return run
    try:
        with job_lease_kept(task_name=RUN_TASK, job_id=job_id, owner=owner):
            claimed = job_claim_many(task_name=TASK, job_ids=run.digest_ids)  # one statement for the batch
            built = digests_build_claimed(claimed=claimed) if claimed else 0
    except Exception as exc:
        logger.exception("digest run %s failed", job_id)
        return job_fail(task_name=RUN_TASK, job_id=job_id, owner=owner, retry=True,
                        error=f"The batch stopped ({type(exc).__name__}); its digests resume on their own.")
    with transaction.atomic():
        locked = job_locked(task_name=RUN_TASK, job_id=job_id, owner=owner)
        if locked is None:
            return DigestRun.objects.filter(pk=job_id).first()
        locked.built = built
        locked.save(update_fields=["built", "lease_expires_at", "updated_at"])
        job_done(task_name=RUN_TASK, job=locked)
    return locked


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


# --- scheduling -----------------------------------------------------------------------------------------

def digests_schedule_due(*, now: datetime | None = None) -> int:
    """Queue the digest of every active user whose last week (on their clock) ended and has none. -> how many.

    Rows are inserted in bulk with their deterministic ids (`ON CONFLICT DO NOTHING`): a scheduler running at
    the same moment inserts nothing twice, and a digest two runs name is built by whichever claims it first.
    Each batch of `RUN_SIZE` digests is one `DigestRun` job."""
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
    for start in range(0, len(due), RUN_SIZE):
        batch = due[start:start + RUN_SIZE]
        with transaction.atomic():
            Digest.objects.bulk_create(batch, ignore_conflicts=True)
            run = DigestRun.objects.create(digest_ids=[digest.id for digest in batch])
            job_dispatch(task_name=RUN_TASK, job_id=run.id)
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
