"""The digest job: one row and one `digest.ready` per (user, week), the email, rebuilds, the hourly schedule."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.testing import UserFactory
from apps.bias.models import Rule
from apps.core.jobs import JobStatus
from apps.digest.models import Digest, DigestRun
from apps.digest.periods import week_parse
from apps.digest.services import digest_execute, digest_rebuild, digest_request, digests_build_now, digests_schedule_due
from apps.events.models import EventOutbox

from .conftest import at, scored_trade

pytestmark = pytest.mark.django_db

W47 = week_parse(value="2026-W47", zone="UTC")


def ready_events(user) -> list[dict]:
    return list(EventOutbox.objects.filter(user=user, type="digest.ready").order_by("ts").values_list("payload", flat=True))


def test_a_requested_digest_is_built_announced_and_mailed(user, week_book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        digest, created = digest_request(user=user, week=W47)

    digest.refresh_from_db()
    assert created is True
    assert (digest.status, digest.attempts, digest.error) == (JobStatus.DONE, 1, "")
    assert digest.payload["trades"] == 5 and digest.built_at is not None and digest.delivered_at is not None
    assert ready_events(user) == [{"digestId": digest.id, "periodStart": "2026-11-16T00:00:00+00:00",
                                   "periodEnd": "2026-11-23T00:00:00+00:00"}]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email] and message.subject == "Your week in review: 2026-W47"
    assert digest.payload["narrative"]["text"] in message.body
    assert f"http://testserver/digest/{digest.id}/" in message.body
    assert "http://testserver/account/#account-digest" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert f'href="http://testserver/digest/{digest.id}/"' in html
    assert "<img" not in html.lower() and "pixel" not in html.lower()  # no tracking pixels, no images at all
    assert "REVENGE" in html and "-10 EUR" in html


def test_a_second_request_or_a_rerun_leaves_one_digest_and_one_event(user, week_book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = digest_request(user=user, week=W47)
        second, created = digest_request(user=user, week=W47)
    digest_execute(job_id=first.id)  # a late duplicate delivery of the task

    assert created is False and second.id == first.id
    assert Digest.objects.filter(user=user).count() == 1
    assert len(ready_events(user)) == 1 and len(mail.outbox) == 1


def test_opted_out_users_get_no_email(user, django_capture_on_commit_callbacks):
    user.digest_email = False
    user.save(update_fields=["digest_email"])
    with django_capture_on_commit_callbacks(execute=True):
        digest, _ = digest_request(user=user, week=W47)

    digest.refresh_from_db()
    assert digest.status == JobStatus.DONE and digest.delivered_at is None
    assert mail.outbox == [] and len(ready_events(user)) == 1


def test_a_rebuild_replaces_the_payload_and_pushes_again(user, week_book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        digest, _ = digest_request(user=user, week=W47)
    scored_trade(user, ts=at(21), side="BUY", qty="1", price="1", symbol="ADA-USD", labels=("FOMO",))
    with django_capture_on_commit_callbacks(execute=True):
        digest_rebuild(user=user, week=W47)

    digest.refresh_from_db()
    assert digest.status == JobStatus.DONE and digest.payload["trades"] == 6 and digest.payload["labels"]["FOMO"] == 1
    assert len(ready_events(user)) == 2
    assert len(mail.outbox) == 1  # already delivered: a rebuild announces again but does not mail twice


def test_a_failing_email_backend_retries_without_a_second_event(user, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "apps.digest.tests.failing_mail.Backend"
    with django_capture_on_commit_callbacks(execute=True):
        digest, _ = digest_request(user=user, week=W47)

    digest.refresh_from_db()
    assert digest.status == JobStatus.QUEUED and digest.attempts == 1 and "SMTPException" in digest.error
    assert digest.built_at is not None and digest.delivered_at is None and len(ready_events(user)) == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Digest.objects.filter(pk=digest.pk).update(not_before=None)
    digest = digest_execute(job_id=digest.id)

    assert digest.status == JobStatus.DONE and digest.attempts == 2
    assert len(ready_events(user)) == 1 and len(mail.outbox) == 1


def test_the_hourly_schedule_builds_each_users_last_week_once(django_capture_on_commit_callbacks):
    # Monday 23 Nov 2026 00:30 UTC: W47 has ended in London and Auckland (already Monday 13:30), not yet in
    # Los Angeles (still Sunday 16:30), whose last finished week is W46.
    now = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    created_at = now - timedelta(days=30)
    london = UserFactory(timezone="Europe/London")
    auckland = UserFactory(timezone="Pacific/Auckland")
    los_angeles = UserFactory(timezone="America/Los_Angeles")
    UserFactory(timezone="UTC")  # a newcomer: joined after the week ended
    inactive = UserFactory(timezone="UTC", is_active=False)
    for person in (london, auckland, los_angeles, inactive):
        type(person).objects.filter(pk=person.pk).update(created_at=created_at)

    with django_capture_on_commit_callbacks(execute=True):
        first = digests_schedule_due(now=now)
        again = digests_schedule_due(now=now + timedelta(minutes=1))

    rows = {d.user_id: (d.week, d.period_start, d.status) for d in Digest.objects.all()}
    assert (first, again) == (3, 0)
    assert list(DigestRun.objects.values_list("status", "built", "attempts")) == [(JobStatus.DONE, 3, 1)]
    assert rows == {  # the newcomer joined after the week ended; the inactive user gets nothing
        london.id: ("2026-W47", datetime(2026, 11, 16, tzinfo=UTC), JobStatus.DONE),
        auckland.id: ("2026-W47", datetime(2026, 11, 15, 11, tzinfo=UTC), JobStatus.DONE),
        los_angeles.id: ("2026-W46", datetime(2026, 11, 9, 8, tzinfo=UTC), JobStatus.DONE),
    }
    with django_capture_on_commit_callbacks(execute=True):
        later = digests_schedule_due(now=datetime(2026, 11, 23, 8, 30, tzinfo=UTC))  # past midnight in Los Angeles

    assert later == 1
    assert (Digest.objects.filter(user=los_angeles).order_by("-period_end").values_list("week", "period_start")[0]
            == ("2026-W47", datetime(2026, 11, 16, 8, tzinfo=UTC)))


def test_build_now_rebuilds_by_hand(user, week_book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        built = digests_build_now(users=[user], week_label="2026-W47")
        rebuilt = digests_build_now(users=[user], week_label="2026-W47")

    assert [d.status for d in built + rebuilt] == [JobStatus.DONE, JobStatus.DONE]
    assert built[0].id == rebuilt[0].id and Digest.objects.count() == 1
    assert len(ready_events(user)) == 2


def _build_queries(user) -> int:
    digest, _ = digest_request(user=user, week=W47)
    with CaptureQueriesContext(connection) as queries:
        digest_execute(job_id=digest.id)
    assert Digest.objects.get(pk=digest.pk).status == JobStatus.DONE
    return len(queries)


def test_building_one_digest_runs_a_bounded_number_of_queries(week_book, user):
    small = _build_queries(user)
    busy = UserFactory()
    for kind, params in (("maxTradesPerDay", {"count": 5}), ("minHoldHours", {"hours": 24})):
        Rule.objects.create(user=busy, kind=kind, params=params, active=True)
    for n in range(60):
        scored_trade(busy, ts=at(16) + timedelta(hours=n), side="BUY" if n % 2 == 0 else "SELL", qty="1",
                     price=str(100 + n), symbol=("BTC-USD", "ETH-EUR", "SOL-USD")[n % 3],
                     labels=("FOMO", "NONE") if n % 4 == 0 else ("PANIC",), pnl=None if n % 2 == 0 else "1.5",
                     rules=(("maxTradesPerDay", "kept"),))
    large = _build_queries(busy)

    assert small == large
    assert large <= 30


def test_a_run_builds_only_the_digests_still_queued(user, other_user, django_capture_on_commit_callbacks):
    from apps.digest.services import digest_run_execute

    mine, _ = digest_request(user=user, week=W47)  # on_commit not run: still queued
    theirs = Digest.objects.create(user=other_user, period_start=W47.start, period_end=W47.end, week=W47.label,
                                   status=JobStatus.DONE, built_at=W47.end, payload={"trades": 9})
    run = DigestRun.objects.create(digest_ids=[mine.id, theirs.id])

    run = digest_run_execute(job_id=run.id)

    assert (run.status, run.built) == (JobStatus.DONE, 1)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == JobStatus.DONE and mine.payload["trades"] == 0
    assert theirs.payload == {"trades": 9}
    assert len(ready_events(user)) == 1 and ready_events(other_user) == []
