"""The trade page's "What if…" panel and the /rules/ page: rendered server-side, driven by static/js."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.core.formatting import format_datetime
from apps.core.testing import in_chromium
from apps.events.testing import child_env, session_cookie_for
from apps.simulations.models import Simulation
from apps.simulations.testing import candles_store, ramp_bars
from apps.trades.testing import TradeFactory

OPEN = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_trade_page_has_the_what_if_panel(client, user):
    trade = TradeFactory(user=user, ts=OPEN)
    client.force_login(user)

    html = client.get(f"/trades/{trade.id}/").content.decode()

    assert 'id="what-if"' in html and f'data-trade-id="{trade.id}"' in html
    assert "js/simulation.js" in html


@pytest.mark.django_db
def test_rules_page_lists_every_rule_kind(client, user):
    client.force_login(user)

    response = client.get("/rules/")

    assert response.status_code == 200
    html = response.content.decode()
    for kind in ("avoidSpikeOverPct", "minHoldHours", "maxTradesPerDay", "cooldownAfterLosses"):
        assert f'data-kind="{kind}"' in html
    assert "Test these rules on my last 90 days" in html


@pytest.mark.django_db
def test_rules_page_needs_a_login(client):
    response = client.get("/rules/")

    assert response.status_code == 302 and "/login/" in response["Location"]


def in_signed_in_page(chromium_path, daphne_process, user, actions) -> tuple[dict, list[str]]:
    """Run `actions(page)` in Chromium against daphne, signed in as `user`: (its result, page errors)."""
    _, port = daphne_process(env=child_env())
    name, value = session_cookie_for(user).split("=", 1)
    base = f"http://127.0.0.1:{port}"

    def steps(browser):
        context = browser.new_context(base_url=base)
        context.add_cookies([{"name": name, "value": value, "url": base}])
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        try:
            return actions(page), problems
        finally:
            context.close()

    return in_chromium(chromium_path, steps)


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_open_a_trade_run_a_simulation_and_see_three_curves(chromium_path, daphne_process, user):
    candles_store(symbol="BTC-USD", first_open=OPEN, bars=ramp_bars(96, dips={3: 97.5}))
    trade = TradeFactory(user=user, side="BUY", qty=Decimal("2"), price=Decimal("100"), fee=Decimal("1"),
                         ts=OPEN + timedelta(minutes=30))

    def actions(page) -> dict:
        from playwright.sync_api import expect

        page.goto(f"/trades/{trade.id}/#what-if")  # the "Open simulation" link: runs on arrival (3 days)
        expect(page.locator("#whatif-chart")).to_have_attribute("data-rendered", "3", timeout=20000)
        expect(page.locator("#whatif-summary li").nth(1)).to_have_text("Holding 3 days would have made the same.")
        page.fill("#whatif-form input[name=horizonDays]", "2")
        page.click("#whatif-form button[type=submit]")
        expect(page.locator("#whatif-summary li").nth(1)).to_have_text("Holding 2 days would have made the same.",
                                                                     timeout=20000)
        return {"legend": [page.locator("#whatif-legend .legend-item").nth(i).inner_text() for i in range(3)],
                "lines": page.locator("#whatif-chart canvas").count(),
                "json": page.locator("#whatif-json").text_content()}

    seen, problems = in_signed_in_page(chromium_path, daphne_process, user, actions)

    assert problems == []
    # hold to 2026-10-03 10:30: close of the candle closing at 10:00 = 100 + 47 → (147 − 100) × 2 − 1 = 93
    assert [item.split(":")[0] for item in seen["legend"]] == ["━ What happened", "━ Hold", "━ Wait for the pullback"]
    assert seen["legend"][1].strip() == "━ Hold: 93.00 USD"
    assert seen["lines"] > 0
    two_days = Simulation.objects.get(horizon_days=2)
    assert f'"simulationId": "{two_days.id}"' in seen["json"]
    assert sorted(Simulation.objects.values_list("horizon_days", flat=True)) == [2, 3]


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_rules_page_toggles_a_rule_and_tests_it_on_the_last_90_days(chromium_path, daphne_process, user):
    from apps.bias.models import Rule

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    first = now - timedelta(days=10)
    candles_store(symbol="BTC-USD", first_open=first, bars=ramp_bars(24 * 10 - 1))
    TradeFactory(user=user, side="BUY", qty=Decimal("1"), price=Decimal("100"), fee=Decimal("0"),
                 ts=first + timedelta(hours=30, minutes=10))
    sale = TradeFactory(user=user, side="SELL", qty=Decimal("1"), price=Decimal("103"), fee=Decimal("0"),
                        ts=first + timedelta(hours=32, minutes=10))

    def actions(page) -> dict:
        from playwright.sync_api import expect

        page.goto("/rules/")
        expect(page.locator("#rules")).to_have_attribute("data-loaded", "1", timeout=15000)
        card = page.locator(".rule-card[data-kind=minHoldHours]")
        card.locator("input[name=hours]").fill("24")
        card.locator(".rule-active").check()
        expect(card.locator(".rule-state")).to_have_text("on", timeout=15000)
        page.click("#backtest-run")
        expect(page.locator("#backtest-trades tbody tr")).to_have_count(1, timeout=15000)
        return {"row": page.locator("#backtest-trades tbody tr").inner_text(),
                "summary": page.locator("#backtest-summary tbody tr").inner_text(),
                "status": page.locator("#backtest-status").inner_text()}

    seen, problems = in_signed_in_page(chromium_path, daphne_process, user, actions)

    assert problems == []
    assert list(Rule.objects.filter(user=user).values_list("kind", "params", "active")) == [
        ("minHoldHours", {"hours": 24.0}, True)]
    # sold 2 h after buying at 100; moved to the close 24 h after the buy: candle 54 closes at 154
    assert seen["row"].split("\t") == ["SELL BTC-USD", format_datetime(sale.ts, "UTC"), "exitMoved",
                                       "minHoldHours", "51.00"]
    assert seen["summary"].split("\t") == ["USD", "3.00", "54.00", "51.00"]
    assert seen["status"] == "2 trades replayed; the rules would have changed 1."
