"""The bias read paths on a heavy user: the label grid pages from its cursor on the index and never loads the
labels' evidence; the grid, the chart, the events list and the trade pages cost a fixed number of queries; the
trade page formats its evidence once per data version."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.bias.models import BiasTag, TradePosition
from apps.bias.services.scoring_runs import scoring_request, scoring_run_execute
from apps.core.pagination import cursor_encode
from apps.core.readcache import user_data_changed
from apps.core.testing import captured_sql, query_plan
from apps.events.models import EventOutbox
from apps.events.services import event_append
from apps.trades.models import Trade
from apps.trades.testing import BASE_TS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

EVIDENCE = {"inputs": {"rsi_14": 71.5, "note": "x" * 1500}, "fired": ["rsi"]}


def _labelled_trades(user, count: int) -> list[Trade]:
    trades = [
        Trade(
            id=f"t{n:06d}",
            user=user,
            broker="coinbase" if n % 3 else "binance",
            ext_id=str(n),
            symbol="BTC-USD" if n % 2 else "ETH-USD",
            side="BUY" if n % 2 else "SELL",
            qty=Decimal("0.1"),
            price=Decimal("30000"),
            fee=Decimal("1"),
            fee_asset="USD",
            quote_asset="USD",
            ts=BASE_TS + timedelta(minutes=n),
            raw={"spot": "1"},
        )
        for n in range(count)
    ]
    Trade.objects.bulk_create(trades, batch_size=5000)
    BiasTag.objects.bulk_create(
        [
            BiasTag(trade=t, label=("FOMO", "PANIC", "NONE")[n % 3], confidence=Decimal("0.7"), features=EVIDENCE)
            for n, t in enumerate(trades)
        ],
        batch_size=5000,
    )
    TradePosition.objects.bulk_create(
        [TradePosition(trade=t, user=user, symbol=t.symbol, realized_pnl=Decimal("1.5")) for t in trades],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE trades_trade; ANALYZE bias_biastag; ANALYZE bias_tradeposition")
    return trades


def _get(client, path: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return response, queries.captured_queries


@pytest.mark.parametrize("sort", ["ts", "-ts"])
def test_a_deep_grid_page_reads_the_index_from_the_cursor_and_never_the_evidence(api_client, user, sort):
    _labelled_trades(user, 12_000)
    deep = Trade.objects.get(id="t009000" if sort == "ts" else "t003000")
    cursor = cursor_encode([deep.ts.isoformat(), deep.id])

    response, queries = _get(api_client, f"/api/bias/trades?sort={sort}&limit=50&cursor={cursor}")

    rows = response.json()["results"]
    expected = range(9001, 9051) if sort == "ts" else range(2999, 2949, -1)
    assert [row["id"] for row in rows] == [f"t{n:06d}" for n in expected]
    assert rows[0]["labels"] and rows[0]["realizedPnl"] == "1.5"
    tags_sql = captured_sql(queries, table="bias_biastag")
    assert "features" not in tags_sql and "engine_version" not in tags_sql
    assert '"raw"' not in captured_sql(queries, table="trades_trade")
    nodes = query_plan(captured_sql(queries, table="trades_trade"))
    scan = next(n for n in nodes if n.get("Relation Name") == "trades_trade")
    assert (scan["Node Type"], scan["Index Name"]) == ("Index Scan", "trades_trade_user_ts_id_idx"), nodes
    assert "ROW(ts, (id)::text)" in scan["Index Cond"]
    assert scan["Actual Rows"] <= 51 and scan.get("Rows Removed by Filter", 0) == 0
    assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes)


@pytest.mark.parametrize("count", [4, 120])
def test_grid_pages_cost_the_same_queries_at_any_size(api_client, user, django_assert_num_queries, count):
    _labelled_trades(user, count)
    with django_assert_num_queries(4):  # session, user, the trades with positions, their labels
        first = api_client.get("/api/bias/trades?limit=50").json()
    assert len(first["results"]) == min(count, 50)
    if first["nextCursor"]:
        with django_assert_num_queries(2):  # the trades with positions, their labels (the session and user cached)
            api_client.get(f"/api/bias/trades?limit=50&cursor={first['nextCursor']}")


@pytest.mark.parametrize("count", [4, 300])
def test_the_chart_is_a_fixed_number_of_queries(api_client, user, django_assert_num_queries, count):
    trades = _labelled_trades(user, count)
    assert api_client.get(f"/api/trades/{trades[-1].id}/chart").status_code == 200  # reads the candles once
    user_data_changed(user.id)  # as a write does: the next answer is built again
    # the user (its cached row went with the data version), the trade's market, the trade, its neighbours (the
    # session and the candles come from the cache)
    with django_assert_num_queries(4):
        body = api_client.get(f"/api/trades/{trades[-1].id}/chart").json()
    assert len(body["markers"]) == len([t for t in trades if t.symbol == trades[-1].symbol])
    with django_assert_num_queries(0):  # the session, the user and the answer come from the cache
        assert api_client.get(f"/api/trades/{trades[-1].id}/chart").json() == body


@pytest.mark.parametrize("count", [3, 60])
def test_the_events_list_is_a_fixed_number_of_queries(api_client, user, django_assert_num_queries, count):
    for n in range(count):
        event = event_append(
            user=user,
            type="import.progress",
            payload={
                "jobId": f"j{n}",
                "page": n,
                "fetched": 0,
                "inserted": 0,
                "duplicates": 0,
                "skipped": 0,
                "status": "running",
                "done": False,
                "attempts": 1,
            },
        )
        EventOutbox.objects.filter(id=event.id).update(seq=n + 1)  # what the relay numbers
    with django_assert_num_queries(3):  # session, user, the page
        assert len(api_client.get("/api/events?limit=50").json()["results"]) == min(count, 50)


def test_the_trades_page_reads_the_exchanges_without_reading_every_trade(client, user, django_assert_num_queries):
    _labelled_trades(user, 3_000)
    client.force_login(user)
    with django_assert_num_queries(5):  # session, user, one probe per exchange (2) and the one that finds no more
        response = client.get("/trades/")
    assert response.status_code == 200
    assert b'value="binance"' in response.content and b'value="coinbase"' in response.content


def test_pages_are_a_fixed_number_of_queries(client, user, django_assert_max_num_queries):
    trades = _labelled_trades(user, 200)
    client.force_login(user)
    with django_assert_max_num_queries(2):
        assert client.get("/dashboard/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"/trades/{trades[100].id}/").status_code == 200


def test_the_trade_page_formats_its_evidence_once_per_data_version(client, user, market_trades):
    run = scoring_request(user_id=user.id, source="test")
    assert scoring_run_execute(run_id=run.id).status == "done"
    tag = BiasTag.objects.filter(trade__user=user).exclude(features__conditions=[]).order_by("trade_id").first()
    assert tag is not None and tag.features["conditions"]
    client.force_login(user)
    path = f"/trades/{tag.trade_id}/"

    first = client.get(path)
    assert "trades/_evidence.html" in [t.name for t in first.templates]
    evidence = _section(first.content.decode(), "evidence")
    assert evidence.count('<li class="condition"') == sum(
        len(t.features["conditions"]) for t in BiasTag.objects.filter(trade_id=tag.trade_id))
    assert f'data-label="{tag.label}"' in evidence

    again = client.get(path)  # the page's answer, evidence and all, comes from the cache
    assert "trades/_evidence.html" not in [t.name for t in again.templates]
    assert _section(again.content.decode(), "evidence") == evidence

    BiasTag.objects.filter(trade_id=tag.trade_id).delete()
    user_data_changed(user.id)  # as a write does

    after = client.get(path)
    assert "trades/_evidence.html" in [t.name for t in after.templates]
    assert "This trade has not been scored yet." in _section(after.content.decode(), "evidence")


def _section(html: str, section_id: str) -> str:
    start = html.index(f'<section class="card" id="{section_id}">')
    return html[start: html.index("</section>", start)]
