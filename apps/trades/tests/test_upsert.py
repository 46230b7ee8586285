from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.testing import UserFactory
from apps.trades.models import Trade
from apps.trades.services import trade_upsert_many
from apps.trades.testing import TradeFactory, trade_dtos

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_upsert_inserts_new_rows_and_reports_their_ids(user):
    items = trade_dtos(7)

    result = trade_upsert_many(user=user, broker="coinbase", items=items)

    assert result.duplicates == 0
    assert len(result.inserted_ids) == 7
    stored = {t.id: t for t in Trade.objects.filter(user=user)}
    assert set(stored) == set(result.inserted_ids)
    by_ext = {t.ext_id: t for t in stored.values()}
    for item in items:
        row = by_ext[item.ext_id]
        assert (row.symbol, row.side, row.qty, row.price, row.fee, row.ts) == (
            item.symbol, item.side, item.qty, item.price, item.fee, item.ts)
        assert row.fee_asset == item.fee_asset and row.quote_asset == "USD"


def test_upsert_keeps_decimals_exact_to_18_places(user):
    item = trade_dtos(1)[0]

    trade_upsert_many(user=user, broker="coinbase", items=[item])

    row = Trade.objects.get(user=user)
    assert row.qty == Decimal("0.100000000000000001")
    assert row.price == Decimal("64123.123456789012345678")
    assert isinstance(row.qty, Decimal)


def test_second_upsert_of_same_fills_inserts_nothing(user):
    trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(5))

    result = trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(8))

    assert result.duplicates == 5
    assert len(result.inserted_ids) == 3
    assert Trade.objects.filter(user=user).count() == 8
    assert set(Trade.objects.filter(id__in=result.inserted_ids).values_list("ext_id", flat=True)) == {
        "fill-5", "fill-6", "fill-7"}


def test_repeated_ext_id_within_one_batch_is_one_row(user):
    items = trade_dtos(3) + trade_dtos(2)

    result = trade_upsert_many(user=user, broker="coinbase", items=items)

    assert (len(result.inserted_ids), result.duplicates) == (3, 2)
    assert Trade.objects.filter(user=user).count() == 3


def test_same_ext_id_is_distinct_per_broker_and_per_user(user, other_user):
    items = trade_dtos(2)

    results = [
        trade_upsert_many(user=user, broker="coinbase", items=items),
        trade_upsert_many(user=user, broker="binance", items=items),
        trade_upsert_many(user=other_user, broker="coinbase", items=items),
    ]

    assert [len(r.inserted_ids) for r in results] == [2, 2, 2]
    assert Trade.objects.count() == 6


def test_database_refuses_duplicate_outside_the_upsert(user):
    TradeFactory(user=user, broker="coinbase", ext_id="x-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        TradeFactory(user=user, broker="coinbase", ext_id="x-1")

    assert Trade.objects.filter(user=user).count() == 1


def test_large_batch_spans_chunks(user):
    items = trade_dtos(12_001)

    result = trade_upsert_many(user=user, broker="binance", items=items)

    assert len(result.inserted_ids) == 12_001
    assert len(set(result.inserted_ids)) == 12_001
    assert Trade.objects.filter(user=user, broker="binance").count() == 12_001


def test_empty_batch_writes_nothing(user):
    result = trade_upsert_many(user=user, broker="coinbase", items=[])

    assert (result.inserted_ids, result.duplicates) == ([], 0)
    assert Trade.objects.count() == 0


def test_other_users_rows_are_untouched(user):
    other = UserFactory()
    TradeFactory(user=other, broker="coinbase", ext_id="fill-0", price=Decimal("1"))

    trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(1))

    assert Trade.objects.get(user=other).price == Decimal("1")


def test_single_row_with_empty_optional_fields(user):

    item = trade_dtos(1)[0]._replace(fee=None, fee_asset="", quote_asset="")

    result = trade_upsert_many(user=user, broker="csv", items=[item])

    row = Trade.objects.get(id=result.inserted_ids[0])
    assert (row.fee, row.fee_asset, row.quote_asset, row.ext_id) == (None, "", "", "fill-0")


def test_text_with_the_packing_separator_is_stored_verbatim(user):

    items = [item._replace(ext_id=f"odd\x1fid-{n}") for n, item in enumerate(trade_dtos(3))]

    result = trade_upsert_many(user=user, broker="csv", items=items)
    again = trade_upsert_many(user=user, broker="csv", items=items)

    assert (len(result.inserted_ids), again.duplicates) == (3, 3)
    assert sorted(Trade.objects.values_list("ext_id", flat=True)) == ["odd\x1fid-0", "odd\x1fid-1", "odd\x1fid-2"]


def test_exponent_and_tiny_decimals_round_trip(user):

    base = trade_dtos(2)
    items = [base[0]._replace(qty=Decimal("1E-18"), price=Decimal("1.5E+4"), fee=Decimal("0E-8")),
             base[1]._replace(qty=Decimal("123456789012345678.123456789012345678"), price=Decimal("0.1"))]

    trade_upsert_many(user=user, broker="coinbase", items=items)

    rows = {t.ext_id: t for t in Trade.objects.filter(user=user)}
    assert (rows["fill-0"].qty, rows["fill-0"].price, rows["fill-0"].fee) == (
        Decimal("0.000000000000000001"), Decimal("15000"), Decimal("0"))
    assert rows["fill-1"].qty == Decimal("123456789012345678.123456789012345678")


def _insert_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]


def test_a_chunk_of_new_trades_is_copied_without_a_per_row_insert(user):
    with CaptureQueriesContext(connection) as queries:
        result = trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(40))

    assert len(result.inserted_ids) == 40
    assert _insert_statements(queries.captured_queries) == []
    assert set(Trade.objects.filter(user=user).values_list("id", flat=True)) == set(result.inserted_ids)


def test_a_stored_trade_the_sample_misses_sends_the_chunk_through_on_conflict(user):
    """fill-3 is not among the probed ext_ids (0, 2, 4, 6, 8 and the last): the COPY meets it, its savepoint is
    rolled back and INSERT … ON CONFLICT stores the other nine, reporting exactly their ids."""
    stored = TradeFactory(user=user, broker="coinbase", ext_id="fill-3", price=Decimal("1"))

    with CaptureQueriesContext(connection) as queries:
        result = trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(10))

    assert (len(result.inserted_ids), result.duplicates) == (9, 1)
    assert len(_insert_statements(queries.captured_queries)) == 1
    rows = {t.ext_id: t for t in Trade.objects.filter(user=user)}
    assert sorted(rows) == sorted(f"fill-{n}" for n in range(10))
    assert {rows[f"fill-{n}"].id for n in range(10) if n != 3} == set(result.inserted_ids)
    assert (rows["fill-3"].id, rows["fill-3"].price) == (stored.id, Decimal("1"))


def test_a_stored_trade_the_sample_finds_skips_the_copy(user):
    TradeFactory(user=user, broker="coinbase", ext_id="fill-0")

    with CaptureQueriesContext(connection) as queries:
        result = trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(10))

    assert (len(result.inserted_ids), result.duplicates) == (9, 1)
    assert not any("SAVEPOINT" in q["sql"] for q in queries.captured_queries)
    assert set(Trade.objects.filter(id__in=result.inserted_ids).values_list("ext_id", flat=True)) == {
        f"fill-{n}" for n in range(1, 10)}


def test_text_that_copy_must_escape_is_stored_verbatim(user):
    odd = ["tab\there", "back\\slash", "new\nline", "carriage\rreturn", "\\N"]
    items = [item._replace(ext_id=ext_id) for ext_id, item in zip(odd, trade_dtos(5), strict=True)]

    result = trade_upsert_many(user=user, broker="csv", items=items)
    again = trade_upsert_many(user=user, broker="csv", items=items)

    assert (len(result.inserted_ids), again.duplicates) == (5, 5)
    assert sorted(Trade.objects.values_list("ext_id", flat=True)) == sorted(odd)


def test_times_in_other_zones_and_the_creation_time_are_stored_exactly(user):
    plus_two = timezone(timedelta(hours=2))
    moments = [datetime(2026, 3, 1, 12, 0, 0, 1, tzinfo=plus_two), datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)]
    items = [item._replace(ts=moment) for item, moment in zip(trade_dtos(2), moments, strict=True)]

    with transaction.atomic():
        result = trade_upsert_many(user=user, broker="coinbase", items=items)
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            now = cursor.fetchone()[0]

    rows = {t.ext_id: t for t in Trade.objects.filter(id__in=result.inserted_ids)}
    assert [rows["fill-0"].ts, rows["fill-1"].ts] == moments
    assert {t.created_at for t in rows.values()} == {now}


def test_a_failing_chunk_writes_nothing(user):
    items = trade_dtos(3)
    items[1] = items[1]._replace(ext_id="x" * 129)  # longer than the column

    with pytest.raises(DataError), transaction.atomic():
        trade_upsert_many(user=user, broker="coinbase", items=items)

    assert Trade.objects.count() == 0
