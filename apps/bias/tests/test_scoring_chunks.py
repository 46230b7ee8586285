"""New trades' labels commit chunk by chunk (PostgreSQL): each trade's tags, reflection and event together,
the first chunk with the positions and the disposition effect, each with its days' label rollups — and a
run that stops midway keeps what it committed, then finishes where it stopped, its listeners reading from
the first trade the run labelled."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection

from apps.analytics.models import TradeFact
from apps.bias.models import BiasTag, DispositionStat, LabelDay, Reflection, ScoringRun, TradePosition
from apps.bias.services.scoring_runs import scoring_request, scoring_run_execute
from apps.bias.summary import label_day_rows
from apps.events.models import EventOutbox

from .conftest import place_trades

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def _refuse_tags_of(trade_id: str) -> None:
    """A fault in the database itself: inserting any tag of this trade raises (COPY fires row triggers). The
    test's own transaction takes the trigger away again."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION test_refuse_tag() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'tag refused for %', NEW.trade_id; END $$""")
        cursor.execute(f"""
            CREATE TRIGGER test_refuse_tag BEFORE INSERT ON {BiasTag._meta.db_table}
            FOR EACH ROW WHEN (NEW.trade_id = %s) EXECUTE FUNCTION test_refuse_tag()""", [trade_id])


def _accept_tags_again() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER test_refuse_tag ON {BiasTag._meta.db_table}")
        cursor.execute("DROP FUNCTION test_refuse_tag()")


def _day_start(ts: datetime) -> datetime:
    return datetime.combine(ts.astimezone(UTC).date(), time.min, tzinfo=UTC)


def _rollups(user) -> list[tuple]:
    return sorted((row.day, row.symbol, row.label, row.trades, row.with_pnl, row.realized_pnl)
                  for row in LabelDay.objects.filter(user=user))


def _announced(user) -> list[str]:
    return [e.payload["tradeId"] for e in EventOutbox.objects.filter(user=user, type="coach.reflect")]


def test_a_run_stopped_midway_keeps_its_committed_chunks_and_the_next_attempt_finishes(
        user, market_trades, settings):
    settings.SCORING_WRITE_CHUNK = 4
    ordered = sorted(market_trades, key=lambda t: (t.ts, t.id))
    _refuse_tags_of(ordered[9].id)  # in the third chunk of four trades
    run = scoring_request(user_id=user.id, source="import:chunks")

    stopped = scoring_run_execute(run_id=run.id)

    assert (stopped.status, stopped.attempts) == ("queued", 1) and stopped.error
    first_eight = {t.id for t in ordered[:8]}
    # two chunks committed, each trade with its tags, reflection and event; the third wrote nothing
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == first_eight
    assert set(Reflection.objects.values_list("trade_id", flat=True)) == first_eight
    assert sorted(_announced(user)) == sorted(first_eight)
    # the first chunk wrote every trade's position and the disposition effect
    assert TradePosition.objects.filter(user=user).count() == 12
    assert DispositionStat.objects.filter(user=user).count() == 1
    # the committed chunks' days have their rollups, as the tags, trades and positions stand; later days
    # have none yet, as before any run
    days = (_day_start(ordered[0].ts), _day_start(ordered[7].ts) + timedelta(days=1))
    assert _rollups(user) == sorted((*row,) for row in label_day_rows(user_id=user.id, ranges=[days]))
    stopped.refresh_from_db()
    assert (stopped.trades_scored, stopped.labelled_since) == (8, ordered[0].ts)
    assert not TradeFact.objects.filter(user=user).exists()  # the listeners run when the run finishes

    _accept_tags_again()
    ScoringRun.objects.filter(id=run.id).update(not_before=None)
    done = scoring_run_execute(run_id=run.id)

    assert (done.status, done.attempts, done.trades_scored) == ("done", 2, 12)
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == {t.id for t in market_trades}
    assert sorted(_announced(user)) == sorted(t.id for t in market_trades)  # each trade announced once
    assert Reflection.objects.count() == 12
    assert _rollups(user) == sorted((*row,) for row in label_day_rows(user_id=user.id))
    # the read model covers the trades the first attempt labelled too
    assert set(TradeFact.objects.filter(user=user).values_list("trade_id", flat=True)) == {
        t.id for t in market_trades}


def test_a_failure_in_the_first_chunk_writes_nothing(user, market_trades, settings):
    settings.SCORING_WRITE_CHUNK = 4
    ordered = sorted(market_trades, key=lambda t: (t.ts, t.id))
    _refuse_tags_of(ordered[2].id)
    run = scoring_request(user_id=user.id, source="import:first-chunk")

    stopped = scoring_run_execute(run_id=run.id)

    assert stopped.status == "queued" and stopped.error
    assert BiasTag.objects.count() == 0
    assert Reflection.objects.count() == 0
    assert EventOutbox.objects.filter(type="coach.reflect").count() == 0
    assert TradePosition.objects.count() == 0
    assert DispositionStat.objects.count() == 0
    assert LabelDay.objects.count() == 0
    stopped.refresh_from_db()
    assert (stopped.trades_scored, stopped.labelled_since) == (0, None)


def test_chunk_by_chunk_labels_equal_one_transaction_labels(user, market_trades, settings):
    """The same run with chunks of 5 and of 2,000 trades writes the same tags, reflections, rollups."""
    def snapshot():
        return (sorted(BiasTag.objects.values_list("trade_id", "label", "confidence", "features")),
                sorted(Reflection.objects.values_list("trade_id", "text", "fingerprint")),
                _rollups(user), sorted(TradePosition.objects.values_list("trade_id", "realized_pnl")))

    settings.SCORING_WRITE_CHUNK = 5
    assert scoring_run_execute(run_id=scoring_request(user_id=user.id, source="a").id).trades_scored == 12
    small = snapshot()
    BiasTag.objects.all().delete()
    Reflection.objects.all().delete()
    LabelDay.objects.all().delete()
    TradePosition.objects.all().delete()
    settings.SCORING_WRITE_CHUNK = 2000
    assert scoring_run_execute(run_id=scoring_request(user_id=user.id, source="b").id).trades_scored == 12
    assert snapshot() == small


def test_a_run_over_trades_after_a_late_one_counts_what_its_one_transaction_labelled(user, stub_exchange):
    """A late, older trade makes the run re-label every later trade in one transaction: the run records that
    count and the late trade's time, and its listeners read from there."""
    later = place_trades(stub_exchange, user, range(4, 12))
    scoring_run_execute(run_id=scoring_request(user_id=user.id, source="import:first").id)
    late = place_trades(stub_exchange, user, [1])[0]  # before every trade stored so far
    TradeFact.objects.filter(user=user).delete()

    done = scoring_run_execute(run_id=scoring_request(user_id=user.id, source="import:late").id)

    assert (done.status, done.trades_scored, done.labelled_since) == ("done", 9, late.ts)
    assert set(TradeFact.objects.filter(user=user).values_list("trade_id", flat=True)) == {
        t.id for t in [late, *later]}
