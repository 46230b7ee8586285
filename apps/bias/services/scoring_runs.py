"""Scoring as a durable job: a hand-off writes a `ScoringRun` row; a runner labels what is unlabelled.

* `scoring_request` is called inside the transaction of whatever stored the trades (an import's final
  state, through the trades app's `import finished` hook), so the hand-off commits with it or not at all.
* `scoring_run_execute` runs one user's runs one at a time: it labels every unlabelled trade of the user
  (and re-labels the later trades whose history that changes), then takes the user's next queued run, if
  any. A run that raises (candles unavailable, a database hiccup) is retried with backoff, then parked
  with its reason; a runner that dies leaves its lease to expire and the reaper sends the run again.
  New trades' labels commit chunk by chunk (see `services.scoring`): every transaction that commits labels
  raises the run's count (`trades_scored`) and keeps the earliest trade labelled (`labelled_since`), so
  after an attempt that stopped midway, the listeners of scored trades still read from there when a later
  attempt finishes. Scoring twice is harmless (tags are replaced,
  unchanged reflections are not announced again).
"""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from apps.core.jobs import JobStatus, job_dispatch, job_kind_register, job_run

from ..models import ScoringRun
from ..registry import TradesScored, trades_scored_notify
from .scoring import Scored, bias_score

TASK = "bias.scoring_run"

job_kind_register(model=ScoringRun, task_name=TASK, max_attempts=lambda: settings.SCORING_MAX_ATTEMPTS)


def scoring_request(*, user_id: str, source: str) -> ScoringRun:
    """Queue labelling of the user's unlabelled trades (after commit when called inside a transaction)."""
    run = ScoringRun.objects.create(user_id=user_id, source=source[:96])
    job_dispatch(task_name=TASK, job_id=run.id)
    return run


def scoring_run_execute(*, run_id: str) -> ScoringRun | None:
    """Run this scoring run, then the user's other queued runs, one after another. Returns the last one."""
    run = ScoringRun.objects.filter(id=run_id).first()
    finished = None
    while run is not None:
        finished = _execute_one(run)
        if finished is None or finished.status != JobStatus.DONE:
            return finished
        run = _next_queued(user_id=finished.user_id)
    return finished


def _execute_one(run: ScoringRun) -> ScoringRun | None:
    def no_other_running(candidate: ScoringRun) -> bool:
        return not ScoringRun.objects.filter(user_id=candidate.user_id, status=JobStatus.RUNNING,
                                             lease_expires_at__gt=timezone.now()).exclude(id=candidate.id).exists()

    def labelled(since: datetime, trades: int) -> None:  # inside each transaction that commits labels
        ScoringRun.objects.filter(id=run.id).update(
            trades_scored=F("trades_scored") + trades,
            labelled_since=Least(Coalesce("labelled_since", Value(since)), Value(since)))

    def finish(locked: ScoringRun, scored: Scored) -> None:
        # the run's row counted every attempt's committed labels and kept where the first of them began (an
        # attempt that stopped midway kept its chunks): the listeners read from there
        trades_scored_notify(TradesScored(user_id=locked.user_id, trades_scored=locked.trades_scored,
                                          since=locked.labelled_since))

    # Nothing here needs the user (candles unavailable, a database hiccup): every failure is retried.
    return job_run(task_name=TASK, job_id=run.id, serialize_on=f"scoring:{run.user_id}", may_start=no_other_running,
                   work=lambda job: bias_score(user_id=job.user_id, trade_ids=[], include_later=True,
                                               on_labelled=labelled),
                   finish=finish, retry_domain_errors=True,
                   crash_message="Labelling stopped on our side ({error}).")


def _next_queued(*, user_id: str) -> ScoringRun | None:
    now = timezone.now()
    return (ScoringRun.objects.filter(user_id=user_id, status=JobStatus.QUEUED)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now)).order_by("created_at").first())
