"""Scoring: one tag set per trade (re-scoring rewrites what changed), ≥1 tag each, FIFO positions, one coach.reflect per
trade in the same transaction — and nothing at all when a write fails midway."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.bias.engine import ENGINE_VERSION, LABELS
from apps.bias.models import BiasTag, DispositionStat, Reflection, TradePosition
from apps.bias.services import bias_score_trades, rule_upsert, scoring
from apps.bias.services.scoring import bias_rescore_user
from apps.bias.services.scoring_runs import scoring_request, scoring_run_execute
from apps.events.models import EventOutbox
from apps.trades.testing import TradeFactory

from .conftest import bar_close, place_trades

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def tag_sets(trades) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list] = {t.id: [] for t in trades}
    for trade_id, label, version in BiasTag.objects.values_list("trade_id", "label", "engine_version"):
        out.setdefault(trade_id, []).append((label, version))
    return out


def test_scoring_writes_one_tag_set_per_trade_and_an_event_each(user, market_trades):
    ids = [t.id for t in market_trades]
    assert bias_score_trades(user_id=user.id, trade_ids=ids) == 12

    sets = tag_sets(market_trades)
    for trade_id in ids:
        labels = [label for label, _ in sets[trade_id]]
        assert labels, f"trade {trade_id} has no tag"
        assert len(labels) == len(set(labels))
        assert set(labels) <= set(LABELS)
        assert ("NONE" in labels) == (labels == ["NONE"])
    assert {version for s in sets.values() for _, version in s} == {ENGINE_VERSION}
    for tag in BiasTag.objects.all():
        assert Decimal("0") <= tag.confidence <= Decimal("1")
        assert tag.features["engine_version"] == ENGINE_VERSION
        assert tag.features["conditions"], tag.label

    events = list(EventOutbox.objects.filter(user=user, type="coach.reflect"))
    assert sorted(e.payload["tradeId"] for e in events) == sorted(ids)
    reflections = {r.event_id: r for r in Reflection.objects.filter(user=user)}
    assert set(reflections) == {e.id for e in events}
    for event in events:
        payload = event.payload
        reflection = reflections[event.id]
        assert payload["insight"] == reflection.text
        assert reflection.tone == "supportive"
        assert [label["name"] for label in payload["labels"]] == sorted(
            (label for label, _ in sets[payload["tradeId"]]),
            key=lambda name: (-float(BiasTag.objects.get(trade_id=payload["tradeId"], label=name).confidence), name))
        assert all(0 <= label["confidence"] <= 1 for label in payload["labels"])
        assert 10 <= len(payload["sparklines"]) <= 36
        assert all(isinstance(v, float) for v in payload["sparklines"])
        assert reflection.bias in LABELS


def test_rescoring_keeps_unchanged_tags_and_does_not_announce_again(user, market_trades):
    ids = [t.id for t in market_trades]
    bias_score_trades(user_id=user.id, trade_ids=ids)
    before = tag_sets(market_trades)
    rows = set(BiasTag.objects.values_list("id", "created_at", "digest"))

    bias_score_trades(user_id=user.id, trade_ids=ids)
    scoring_run_execute(run_id=scoring_request(user_id=user.id, source="test").id)

    assert tag_sets(market_trades) == before
    assert set(BiasTag.objects.values_list("id", "created_at", "digest")) == rows  # not one row rewritten
    assert EventOutbox.objects.filter(user=user, type="coach.reflect").count() == 12
    assert Reflection.objects.count() == 12
    assert DispositionStat.objects.filter(user=user).count() == 1


def test_chunks_spilled_to_disk_write_what_memory_did_and_unchanged_positions_stay_as_they_were(
        user, market_trades, monkeypatch):
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    evidence = {(t, label): f for t, label, f in BiasTag.objects.values_list("trade_id", "label", "features")}
    positions = {p.trade_id: (p.realized_pnl, p.matched_qty, p.updated_at) for p in TradePosition.objects.all()}

    # chunks of three trades and a one-byte spool: every chunk goes through the temporary file
    monkeypatch.setattr(scoring, "SPOOL_MEMORY", 1)
    assert bias_rescore_user(user_id=user.id, chunk=3) == 12

    assert {(t, label): f for t, label, f in BiasTag.objects.values_list("trade_id", "label", "features")} == evidence
    assert {p.trade_id: (p.realized_pnl, p.matched_qty, p.updated_at)
            for p in TradePosition.objects.all()} == positions  # same outcomes: no row rewritten
    assert EventOutbox.objects.filter(user=user, type="coach.reflect").count() == 12


@pytest.mark.parametrize("chunk", [3, 2000])
def test_rescoring_rewrites_exactly_the_tags_that_changed(user, market_trades, chunk):
    """A tag without a digest (written before it was kept), one of another engine version and one whose
    label no longer fires are replaced or removed; every other tag keeps its row."""
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])

    def content():
        return sorted(BiasTag.objects.values_list("trade_id", "label", "confidence", "features", "engine_version"))

    expected = content()
    first, second = BiasTag.objects.order_by("trade__ts", "label")[:2]
    BiasTag.objects.filter(id=first.id).update(digest=None)
    BiasTag.objects.filter(id=second.id).update(engine_version="0.0-old")
    BiasTag.objects.create(trade_id=market_trades[-1].id, label="no_longer_fires", confidence=Decimal("0.5"),
                           features={}, engine_version=ENGINE_VERSION, digest=123)
    BiasTag.objects.filter(trade_id=market_trades[5].id).delete()  # and a trade with none at all
    untouched = set(BiasTag.objects.exclude(id__in=[first.id, second.id]).exclude(label="no_longer_fires")
                    .values_list("id", "created_at"))

    assert bias_rescore_user(user_id=user.id, chunk=chunk) == 12

    assert content() == expected
    rows = set(BiasTag.objects.values_list("id", "created_at"))
    assert untouched <= rows
    assert not {first.id, second.id} & {tag_id for tag_id, _ in rows}
    assert len(rows) == len(expected) == len(untouched) + 2 + BiasTag.objects.filter(trade=market_trades[5]).count()
    assert not BiasTag.objects.filter(engine_version="0.0-old").exists()
    assert not BiasTag.objects.filter(digest__isnull=True).exists()


def test_new_trades_tags_copied_as_the_engine_walks_are_those_written_after_it(user, market_trades, settings,
                                                                               monkeypatch):
    """New trades with no model configured: the tags' COPY is open during the walk. With a model configured
    (here one that refuses connections: the template is used) they are written after it. Same tags."""
    copies = []
    tags_copy = scoring._tags_copy
    monkeypatch.setattr(scoring, "_tags_copy", lambda: copies.append(1) or tags_copy())
    ids = [t.id for t in market_trades]

    def tags():
        return sorted(BiasTag.objects.values_list("trade_id", "label", "confidence", "features", "engine_version"))

    assert bias_score_trades(user_id=user.id, trade_ids=ids) == 12
    streamed = tags()
    assert copies == [1]
    BiasTag.objects.all().delete()
    settings.LLM_BASE_URL = "http://127.0.0.1:9"

    assert bias_score_trades(user_id=user.id, trade_ids=ids) == 12

    assert copies == [1]
    assert tags() == streamed
    assert len({trade_id for trade_id, *_ in streamed}) == 12


def test_a_changed_tone_is_announced_once_more(user, market_trades):
    ids = [t.id for t in market_trades]
    bias_score_trades(user_id=user.id, trade_ids=ids)
    user.coach_tone = "strict"
    user.save(update_fields=["coach_tone"])
    bias_score_trades(user_id=user.id, trade_ids=ids[-3:])
    assert EventOutbox.objects.filter(user=user, type="coach.reflect").count() == 15
    assert sorted(Reflection.objects.values_list("tone", flat=True)) == ["strict"] * 3 + ["supportive"] * 12
    assert set(Reflection.objects.filter(tone="strict").values_list("trade_id", flat=True)) == set(ids[-3:])


def test_incremental_scoring_newest_first_ends_with_every_trade_tagged(user, stub_exchange):
    newer = place_trades(stub_exchange, user, range(6, 12))
    assert bias_score_trades(user_id=user.id, trade_ids=[t.id for t in newer]) == 6
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == {t.id for t in newer}
    older = place_trades(stub_exchange, user, range(6))
    market_trades = older + newer
    assert bias_score_trades(user_id=user.id, trade_ids=[t.id for t in older]) == 12
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == {t.id for t in market_trades}
    assert TradePosition.objects.filter(user=user).count() == 12
    announced = [e.payload["tradeId"] for e in EventOutbox.objects.filter(type="coach.reflect")]
    assert set(announced) == {t.id for t in market_trades}
    assert sorted(tid for tid in announced if tid in {t.id for t in older}) == sorted(t.id for t in older)
    assert Reflection.objects.count() == len(announced)


def test_a_late_older_trade_rescores_the_later_ones(user, stub_exchange):
    """Exchanges page newest first: the sell is scored before the buy behind it arrives."""
    anchor = stub_exchange.state.anchor
    buy_ts, sell_ts = anchor - timedelta(days=4), anchor - timedelta(days=3)
    sell = TradeFactory(user=user, symbol="ETH-USD", side="SELL", qty=Decimal("1"), fee=Decimal("0"),
                        price=bar_close(stub_exchange, "ETH-USD", sell_ts), ts=sell_ts)
    assert bias_score_trades(user_id=user.id, trade_ids=[sell.id]) == 1
    assert TradePosition.objects.get(trade=sell).realized_pnl is None
    assert all(t.features["inputs"]["pnl_exit"] is None for t in BiasTag.objects.filter(trade=sell))

    buy = TradeFactory(user=user, symbol="ETH-USD", side="BUY", qty=Decimal("1"), fee=Decimal("0"),
                       price=Decimal("1000"), ts=buy_ts)
    assert bias_score_trades(user_id=user.id, trade_ids=[buy.id]) == 2
    expected = sell.price - Decimal("1000")
    assert TradePosition.objects.get(trade=sell).realized_pnl == expected
    assert {Decimal(t.features["inputs"]["pnl_exit"]) for t in BiasTag.objects.filter(trade=sell)} == {expected}
    assert BiasTag.objects.filter(trade=sell).values("label").distinct().count() == BiasTag.objects.filter(
        trade=sell).count()


def test_fifo_positions_net_of_fees_and_unknown_without_a_prior_buy(user, stub_exchange):
    anchor = stub_exchange.state.anchor
    t1, t2, t3 = (anchor - timedelta(days=3, hours=h) for h in (30, 20, 10))
    orphan = TradeFactory(user=user, symbol="SOL-USD", side="SELL", qty=Decimal("2"),
                          price=bar_close(stub_exchange, "SOL-USD", t1), fee=Decimal("0.1"), ts=t1)
    buy = TradeFactory(user=user, symbol="SOL-USD", side="BUY", qty=Decimal("4"), price=Decimal("100"),
                       fee=Decimal("0.4"), ts=t2)
    sell = TradeFactory(user=user, symbol="SOL-USD", side="SELL", qty=Decimal("1"), price=Decimal("110"),
                        fee=Decimal("0.11"), ts=t3)
    assert bias_score_trades(user_id=user.id, trade_ids=[orphan.id, buy.id, sell.id]) == 3
    positions = {p.trade_id: p for p in TradePosition.objects.all()}
    assert positions[orphan.id].realized_pnl is None
    # 1 × (110 − 100) − 0.11 (sell fee) − 0.1 (a quarter of the buy fee)
    assert positions[sell.id].realized_pnl == Decimal("9.79")
    assert positions[sell.id].held_hours == pytest.approx(10.0)
    assert positions[buy.id].unmatched_qty == Decimal("3")


def test_a_failure_midway_writes_nothing(user, stub_exchange):
    """A realised P/L too large for the column fails after the tags were inserted: all of it rolls back."""
    anchor = stub_exchange.state.anchor
    huge = Decimal("9" * 21)
    buy = TradeFactory(user=user, symbol="BTC-USD", side="BUY", qty=huge, price=huge, fee=Decimal("0"),
                       ts=anchor - timedelta(days=2))
    sell = TradeFactory(user=user, symbol="BTC-USD", side="SELL", qty=huge, price=huge * 2 / 3, fee=Decimal("0"),
                        ts=anchor - timedelta(days=1))
    with pytest.raises(Exception) as failure:
        bias_score_trades(user_id=user.id, trade_ids=[buy.id, sell.id])
    assert "numeric" in str(failure.value).lower() or "overflow" in str(failure.value).lower()
    assert BiasTag.objects.count() == 0
    assert Reflection.objects.count() == 0
    assert TradePosition.objects.count() == 0
    assert EventOutbox.objects.count() == 0
    assert DispositionStat.objects.count() == 0


def test_other_users_trades_are_never_scored(user, other_user, market_trades):
    theirs = TradeFactory(user=other_user, ts=market_trades[0].ts, price=market_trades[0].price)
    assert bias_score_trades(user_id=other_user.id, trade_ids=[market_trades[0].id]) == 1  # only their own
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == {theirs.id}
    bias_score_trades(user_id=user.id, trade_ids=[theirs.id])
    assert BiasTag.objects.filter(trade=theirs).count() == BiasTag.objects.filter(trade__user=other_user).count()
    assert not EventOutbox.objects.filter(user=user, payload__tradeId=theirs.id).exists()
    assert not EventOutbox.objects.filter(user=other_user).exclude(payload__tradeId=theirs.id).exists()


def test_import_hands_off_scoring_once_per_import(user, coinbase_connection, stub_exchange,
                                                  django_capture_on_commit_callbacks):
    """Three pages newest first: the job's final state hands off one scoring run, which labels them all."""
    from apps.bias.models import ScoringRun
    from apps.trades.imports import import_job_start
    from apps.trades.models import Trade

    stub_exchange.state.set_trade_count(1200)
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_start(user=user, broker="coinbase")
    job.refresh_from_db()
    assert job.status == "done", job.error
    trades = set(Trade.objects.filter(user=user).values_list("id", flat=True))
    assert len(trades) == job.inserted > 1000
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == trades
    announced = [e.payload["tradeId"] for e in EventOutbox.objects.filter(user=user, type="coach.reflect")]
    assert sorted(announced) == sorted(trades)
    runs = list(ScoringRun.objects.filter(user=user).values_list("source", "status", "trades_scored"))
    assert runs == [(f"import:{job.id}", "done", len(trades))]


def test_rules_are_evaluated_on_every_trade(user, market_trades):
    rule_upsert(user=user, kind="minHoldHours", params={"hours": 24})
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    for tag in BiasTag.objects.all():
        assert [r["kind"] for r in tag.features["rules"]] == ["minHoldHours"]
        assert tag.features["rules"][0]["status"] in ("kept", "broken", "not_applicable", "not_evaluable")
    sells = [t.id for t in market_trades if t.side == "SELL"]
    statuses = {r["status"] for tag in BiasTag.objects.filter(trade_id__in=sells) for r in tag.features["rules"]}
    assert statuses & {"kept", "broken"}


def test_rescore_command_is_idempotent(user, market_trades, capsys):
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades[:4]])
    call_command("rescore", "--user", user.email.upper())
    after_first = tag_sets(market_trades)
    assert all(after_first[t.id] for t in market_trades)
    call_command("rescore", "--user", user.email, "--since", str(market_trades[0].ts.date()))
    assert tag_sets(market_trades) == after_first
    assert EventOutbox.objects.filter(type="coach.reflect").count() == 12
    out = capsys.readouterr().out
    assert f"Re-scored 12 trade(s) of 1 user(s) with engine {ENGINE_VERSION}." in out


def test_rescore_command_rejects_bad_arguments(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rescore", "--user", "nobody@example.com")
    with pytest.raises(CommandError):
        call_command("rescore", "--since", "last tuesday")


def test_given_trades_alone_are_relabelled_and_the_others_keep_their_tags(user, market_trades):
    """Targets that are not every trade from the first one on (`include_later=False`): only those trades'
    tags are replaced and only their changed reflections announced."""
    ids = [t.id for t in market_trades]
    bias_score_trades(user_id=user.id, trade_ids=ids)
    kept = dict(BiasTag.objects.exclude(trade_id__in=[ids[2], ids[7]]).values_list("id", "trade_id"))
    user.coach_tone = "strict"
    user.save(update_fields=["coach_tone"])

    assert bias_score_trades(user_id=user.id, trade_ids=[ids[2], ids[7]], include_later=False) == 2

    assert dict(BiasTag.objects.exclude(trade_id__in=[ids[2], ids[7]]).values_list("id", "trade_id")) == kept
    assert set(BiasTag.objects.filter(trade_id__in=[ids[2], ids[7]]).values_list("trade_id", flat=True)) == {
        ids[2], ids[7]}
    assert set(Reflection.objects.filter(tone="strict").values_list("trade_id", flat=True)) == {ids[2], ids[7]}
    assert EventOutbox.objects.filter(user=user, type="coach.reflect").count() == 14

