"""Positions (round trips): each sale with the buys it closed, first in first out, and each buy still open, with
the stored realised P/L, the labels of both sides, filters and a cursor; the page in a real Chromium at both sizes."""
from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.testing import UserFactory
from apps.bias.models import BiasTag, TradePosition
from apps.bias.services import bias_score_trades
from apps.core.testing import in_chromium
from apps.trades.models import Trade
from apps.trades.testing import TradeFactory

from .conftest import bar_close

pytestmark = [pytest.mark.postgres]


def _book(stub, user, plan):
    """Trades of `plan` [(symbol, side, qty, hours after the start, broker)] at the stub market's price."""
    start = stub.state.anchor - timedelta(days=9)
    trades = []
    for symbol, side, qty, hours, broker in plan:
        ts = start + timedelta(hours=hours, minutes=3)
        trades.append(TradeFactory(user=user, symbol=symbol, side=side, qty=Decimal(qty), broker=broker,
                                   price=bar_close(stub, symbol, ts), fee=Decimal("0.5"), ts=ts))
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    return trades


PLAN = [("BTC-USD", "BUY", "1", 0, "coinbase"), ("BTC-USD", "BUY", "1", 10, "binance"),
        ("BTC-USD", "SELL", "1.5", 30, "coinbase"), ("BTC-USD", "SELL", "1", 50, "coinbase"),
        ("ETH-USD", "SELL", "2", 60, "coinbase"), ("ETH-USD", "BUY", "3", 70, "coinbase"),
        ("ETH-USD", "SELL", "1", 80, "coinbase")]


@pytest.mark.django_db
def test_each_sale_lists_the_buys_it_closed_and_each_open_buy_what_is_left(stub_exchange, user, api_client):
    b1, b2, s1, s2, lonely, e1, e2 = _book(stub_exchange, user, PLAN)
    _book(stub_exchange, UserFactory(), PLAN[:2])  # another user's trades never show

    body = api_client.get("/api/positions").json()

    rows = {row["id"]: row for row in body["results"]}
    assert [row["id"] for row in body["results"]] == [e2.id, e1.id, lonely.id, s2.id, s1.id]
    assert body["nextCursor"] is None
    first = rows[s1.id]  # 1 from the first buy, 0.5 from the second
    assert (first["status"], first["qty"], first["entryTradeIds"], first["exitTradeId"]) == (
        "closed", "1.5", [b1.id, b2.id], s1.id)
    assert abs(Decimal(first["entryPrice"]) - (b1.price + b2.price * Decimal("0.5")) / Decimal("1.5")) < Decimal("1e-12")
    stored = TradePosition.objects.get(trade=s1)
    assert Decimal(first["realizedPnl"]) == stored.realized_pnl and first["heldHours"] == stored.held_hours
    second = rows[s2.id]  # only the 0.5 left of the second buy
    assert (second["qty"], second["entryTradeIds"], Decimal(second["entryPrice"])) == ("0.5", [b2.id], b2.price)
    assert Decimal(second["realizedPnl"]) == TradePosition.objects.get(trade=s2).realized_pnl
    assert (rows[lonely.id]["entryTradeIds"], rows[lonely.id]["realizedPnl"], rows[lonely.id]["qty"]) == ([], None, "2")
    still_open = rows[e1.id]  # 3 bought, 1 sold since
    assert (still_open["status"], still_open["qty"], still_open["exitTradeId"], still_open["realizedPnl"]) == (
        "open", "2", None, None)
    assert still_open["heldHours"] > 0 and rows[e2.id]["quote"] == "USD"
    labels = dict(BiasTag.objects.filter(trade__user=user).values_list("trade_id", "label"))
    assert first["exitLabels"] == [labels[s1.id]]
    assert first["entryLabels"] == sorted({labels[b1.id], labels[b2.id]})


@pytest.mark.django_db
def test_filters_by_status_market_exchange_label_and_days(stub_exchange, user, api_client):
    b1, b2, s1, s2, lonely, e1, e2 = _book(stub_exchange, user, PLAN)

    def ids(**query) -> list[str]:
        response = api_client.get("/api/positions", query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(status="open") == [e1.id]
    assert ids(status="closed", symbol="btc-usd") == [s2.id, s1.id]
    assert ids(broker="binance") == [s2.id, s1.id]  # a position with a trade on that exchange, on either side
    label = BiasTag.objects.filter(trade=b2).values_list("label", flat=True).first()
    expected = [t.id for t in (e2, e1, lonely, s2, s1) if label in set(
        BiasTag.objects.filter(trade_id__in=[t.id] + ([b1.id, b2.id] if t == s1 else [b2.id] if t == s2 else
                                                       [e1.id] if t == e2 else [])).values_list("label", flat=True))]
    assert ids(label=label) == expected and s2.id in expected
    day = s2.ts.astimezone(UTC).date()  # the user's days (UTC here)
    same_day = [t.id for t in (s2, s1) if t.ts.astimezone(UTC).date() == day]
    assert ids(dayFrom=day.isoformat(), dayTo=day.isoformat(), symbol="BTC-USD") == same_day
    assert ids(dayFrom=(day + timedelta(days=30)).isoformat()) == []


@pytest.mark.django_db
def test_the_cursor_walks_every_position_once_and_bad_input_is_refused(stub_exchange, user, api_client):
    trades = _book(stub_exchange, user, PLAN)
    seen, cursor = [], None
    while True:
        body = api_client.get("/api/positions", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [row["id"] for row in body["results"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == [row["id"] for row in api_client.get("/api/positions").json()["results"]]
    assert len(seen) == len(set(seen)) == 5 and trades[0].id not in seen

    for query, code in (({"status": "half"}, "invalid"), ({"cursor": "bm90IGpzb24"}, "invalid_cursor"),
                        ({"limit": 0}, "invalid"), ({"dayFrom": "2026-02-02", "dayTo": "2026-02-01"},
                                                              "invalid"), ({"label": "GREED"}, "invalid")):
        response = api_client.get("/api/positions", query)
        assert response.status_code == 400 and response.json()["error"]["code"] == code, (query, response.json())


@pytest.mark.django_db
def test_a_page_of_positions_costs_the_same_queries_whatever_the_history(stub_exchange, user, api_client):
    _book(stub_exchange, user, PLAN[:3])
    client = Client()
    client.force_login(user)

    def queries(target, path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert target.get(path).status_code == 200
        # the page's own queries: the session and the user come from the cache on some requests, not others
        return len([q for q in captured.captured_queries
                    if "accounts_session" not in q["sql"] and "accounts_user" not in q["sql"]])

    small = queries(api_client, "/api/positions"), queries(client, "/positions/")
    _book(stub_exchange, user, [(s, side, q, h + 100, b) for s, side, q, h, b in PLAN] * 3)
    assert Trade.objects.filter(user=user).count() == 3 + 21
    assert (queries(api_client, "/api/positions"), queries(client, "/positions/")) == small


@pytest.mark.browser
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_positions_page_reads_cleanly_filters_and_pages_on_desktop_and_phone(chromium_path, live_server,
                                                                               stub_exchange, user):
    from .test_interface_browser import AXE, AXE_RUN, SCREENSHOTS, VIEWPORTS, _problems, _read

    _book(stub_exchange, user, PLAN)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def steps(browser) -> dict:
        seen = {}
        for size, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, timezone_id="Europe/Berlin", bypass_csp=True)
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
            page = context.new_page()
            page.goto(f"{base}/trades/")
            page.click("#positions-link")
            page.wait_for_url(f"{base}/positions/")
            page.screenshot(path=str(SCREENSHOTS / f"member-positions-{size}.png"), full_page=True)
            seen[("/positions/", size)] = _read(page)
            page.evaluate(AXE.read_text())
            seen[("/positions/", size)]["axe"] = page.evaluate(AXE_RUN)
            seen[("rows", size)] = page.locator("#position-rows tr").count()
            page.select_option("#position-status", "closed")
            page.fill("#position-symbol", "BTC-USD")
            page.click("#position-apply")
            page.wait_for_url("**status=closed**")
            seen[("filtered", size)] = page.locator("#position-rows tr").evaluate_all(
                "rows => rows.map(r => r.dataset.status + ' ' + r.cells[0].textContent)")
            page.goto(f"{base}/positions/?limit=2")
            pages = [page.locator("#position-rows tr").evaluate_all("rows => rows.map(r => r.dataset.position)")]
            while page.locator("#position-more").count():
                page.click("#position-more")
                page.wait_for_load_state("load")
                pages.append(page.locator("#position-rows tr").evaluate_all(
                    "rows => rows.map(r => r.dataset.position)"))
            seen[("pages", size)] = pages
            page.goto(f"{base}/positions/")
            page.click("#position-rows tr[data-status='closed'] .position-exit-link >> nth=0")
            page.wait_for_url(f"{base}/trades/*/")
            seen[("linked", size)] = page.url
            context.close()
        return seen

    seen = in_chromium(chromium_path, steps, timeout=300)

    assert _problems({k: v for k, v in seen.items() if k[0] == "/positions/"}) == []
    for size in VIEWPORTS:
        assert seen[("rows", size)] == 5
        assert seen[("/positions/", size)]["pnl"], "realised P/L shown as signed, coloured figures"
        assert seen[("filtered", size)] == ["closed BTC-USD", "closed BTC-USD"]
        assert [len(p) for p in seen[("pages", size)]] == [2, 2, 1]
        assert len({i for p in seen[("pages", size)] for i in p}) == 5
        assert seen[("linked", size)].rstrip("/").rsplit("/", 1)[1] in {
            t.id for t in Trade.objects.filter(user=user, side="SELL")}
