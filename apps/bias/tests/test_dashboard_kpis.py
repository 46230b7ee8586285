"""The dashboard's KPI tiles in a real Chromium at both sizes: trades, win rate and realised P/L per quote currency
over the closed positions, the most frequent label and the disposition verdict, for the period selected."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from apps.analytics.services.readmodel import trade_facts_refresh
from apps.bias.models import BiasTag, TradePosition
from apps.bias.services import bias_score_trades
from apps.core import formatting
from apps.core.testing import in_chromium
from apps.trades.models import Trade

from .test_interface_browser import AXE, AXE_RUN, SCREENSHOTS, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]

TILES = ("kpi-trades", "kpi-winrate", "kpi-winrate-note", "kpi-pnl", "kpi-label", "kpi-label-note",
         "kpi-disposition", "kpi-disposition-note")


def _expected(user, days: int) -> dict:
    since = timezone.now() - timedelta(days=days)
    trades = Trade.objects.filter(user=user, ts__gte=since)
    closed = TradePosition.objects.filter(user=user, realized_pnl__isnull=False, trade__ts__gte=since)
    wins = closed.filter(realized_pnl__gt=0).count()
    pnl = "\n".join(formatting.format_money(row["total"], row["trade__quote_asset"] or "USD", signed=True)
                    for row in closed.values("trade__quote_asset").order_by().annotate(total=Sum("realized_pnl")))
    labels = Counter(BiasTag.objects.filter(trade__in=trades).exclude(label="NONE").values_list("label", flat=True))
    top = sorted(labels.items(), key=lambda item: (-item[1], item[0]))[0] if labels else None
    return {"kpi-trades": str(trades.count()),
            "kpi-winrate": formatting.format_percent(Decimal(wins) / closed.count()) if closed.count() else "—",
            "kpi-winrate-note": f"{wins} of {closed.count()} closed positions",
            "kpi-pnl": pnl or "—",
            "kpi-label": top[0] if top else "None"}


@pytest.mark.django_db(transaction=True)
def test_the_kpi_tiles_follow_the_period_on_desktop_and_phone(chromium_path, live_server, user, market_trades):
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    trade_facts_refresh(user_id=user.id)  # the performance read model, as its job does after scoring
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def tiles(page) -> dict:
        page.wait_for_selector("#dash-kpis[data-ready='1']", timeout=15000)
        return {tile: page.inner_text(f"#{tile}") for tile in TILES}

    def steps(browser) -> dict:
        seen = {}
        for size, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, timezone_id="Europe/Berlin", bypass_csp=True)
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
            page = context.new_page()
            page.goto(f"{live_server.url}/dashboard/")
            seen[(size, 90)] = tiles(page)
            page.screenshot(path=str(SCREENSHOTS / f"member-dashboard-kpis-{size}.png"))
            page.evaluate(AXE.read_text())
            seen[(size, "axe")] = page.evaluate(AXE_RUN)
            seen[(size, "overflow")] = page.evaluate("() => document.documentElement.scrollWidth"
                                                     " - document.documentElement.clientWidth")
            page.select_option("#dash-period", "7")
            page.wait_for_function("() => !document.getElementById('dash-kpis').dataset.ready", timeout=5000)
            seen[(size, 7)] = tiles(page)
            context.close()
        return seen

    seen = in_chromium(chromium_path, steps, timeout=300)

    for size in VIEWPORTS:
        for days in (90, 7):
            shown, expected = seen[(size, days)], _expected(user, days)
            assert {k: shown[k] for k in expected} == expected, (size, days)
            assert shown["kpi-label-note"].endswith(("trade", "trades", "no label fired"))
            assert shown["kpi-disposition"] in {"No sales yet", "Winners sold sooner", "Losers sold sooner",
                                                "No clear effect", "Too few sales to tell"}
        assert seen[(size, 90)]["kpi-trades"] != seen[(size, 7)]["kpi-trades"]
        assert seen[(size, "axe")] == [] and seen[(size, "overflow")] <= 0
