"""GET /api/trades on a heavy user: a page deep in the cursor costs what the first one costs (query plans on
PostgreSQL), and every page is a fixed number of queries whatever its size."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.pagination import cursor_encode
from apps.core.testing import captured_sql, query_plan
from apps.trades.models import Trade
from apps.trades.testing import BASE_TS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

HEAVY = 20_000


def _trades(user, count: int, *, same_ts_every: int = 1, prefix: str = "t") -> None:
    """`count` trades; groups of `same_ts_every` share a timestamp (the cursor's id tie-break is exercised)."""
    Trade.objects.bulk_create(
        [
            Trade(
                id=f"{prefix}{n:06d}",
                user=user,
                broker="coinbase",
                ext_id=str(n),
                symbol="BTC-USD",
                side="BUY" if n % 2 else "SELL",
                qty=Decimal("0.1"),
                price=Decimal("30000"),
                fee=Decimal("1"),
                fee_asset="USD",
                quote_asset="USD",
                ts=BASE_TS + timedelta(seconds=60 * (n // same_ts_every)),
                raw={"note": "x" * 200},
            )
            for n in range(count)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE trades_trade")


def _page_sql(api_client, path: str) -> tuple[dict, str]:
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(path)
    assert response.status_code == 200, response.content
    return response.json(), captured_sql(queries.captured_queries, table="trades_trade")


def _scan(nodes: list[dict]) -> dict:
    """The plan's one read of trades_trade."""
    scans = [n for n in nodes if n.get("Relation Name") == "trades_trade"]
    assert len(scans) == 1, nodes
    return scans[0]


@pytest.mark.parametrize("order", ["ts", "-ts"])
def test_a_page_500_deep_reads_the_index_from_the_cursor_like_the_first_page(api_client, user, other_user, order):
    _trades(user, HEAVY)
    _trades(other_user, 10, prefix="o")  # another user's rows beside them in the table and the index
    _, first_sql = _page_sql(api_client, f"/api/trades?limit=20&order={order}")
    deep_row = Trade.objects.get(id="t015000" if order == "ts" else "t005000")  # 15,000 rows in either way
    deep_cursor = cursor_encode([deep_row.ts.isoformat(), deep_row.id, "d" if order == "-ts" else "a"])
    deep, deep_sql = _page_sql(api_client, f"/api/trades?limit=20&order={order}&cursor={deep_cursor}")
    expected_next = [f"t{n:06d}" for n in (range(15001, 15021) if order == "ts" else range(4999, 4979, -1))]
    assert [row["id"] for row in deep["results"]] == expected_next

    first_plan, deep_plan = query_plan(first_sql), query_plan(deep_sql)
    for nodes in (first_plan, deep_plan):
        scan = _scan(nodes)
        assert scan["Node Type"] == "Index Scan", nodes
        assert scan["Index Name"] == "trades_trade_user_ts_id_idx"
        assert scan["Actual Rows"] <= 21  # the page and one more, nothing read and thrown away
        assert scan.get("Rows Removed by Filter", 0) == 0
        assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes)
    deep_scan = _scan(deep_plan)
    assert "ROW(ts, (id)::text)" in deep_scan["Index Cond"], deep_scan["Index Cond"]  # the cursor, in the index
    assert deep_scan["Shared Hit Blocks"] + deep_scan.get("Shared Read Blocks", 0) <= (
        _scan(first_plan)["Shared Hit Blocks"] + _scan(first_plan).get("Shared Read Blocks", 0) + 5
    )


def test_the_cursor_breaks_ties_on_the_id_without_skipping_or_repeating(api_client, user):
    _trades(user, 95, same_ts_every=7)
    seen, cursor = [], None
    while True:
        page = api_client.get("/api/trades?limit=10" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [row["id"] for row in page["results"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [f"t{n:06d}" for n in range(95)]


@pytest.mark.parametrize("count", [3, 150])
def test_every_page_is_a_fixed_number_of_queries(api_client, user, django_assert_num_queries, count):
    _trades(user, count)
    with django_assert_num_queries(3):  # session, user, the page
        first = api_client.get("/api/trades?limit=100").json()
    assert len(first["results"]) == min(count, 100) and "raw" not in first["results"][0]
    if first["nextCursor"]:
        with django_assert_num_queries(1):  # the page (the session and the user now come from the cache)
            assert len(api_client.get(f"/api/trades?limit=100&cursor={first['nextCursor']}").json()["results"]) == 50
