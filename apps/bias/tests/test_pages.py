"""Pages: trade detail in a real Chromium (chart canvas, evidence panel, no CSP violations); others render."""
import pytest
from django.conf import settings
from django.test import Client

from apps.bias.models import BiasTag
from apps.bias.services import bias_score_trades
from apps.core.testing import in_chromium
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/trades/", "/coach/", "/dashboard/"])
def test_pages_render_for_a_logged_in_user_and_redirect_anonymous(user, path):
    client = Client()
    assert client.get(path).status_code == 302
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html and " style=" not in html


@pytest.mark.django_db
def test_detail_of_another_users_trade_is_404(user, other_user):
    client = Client()
    client.force_login(user)
    assert client.get(f"/trades/{TradeFactory(user=other_user).id}/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_trade_detail_chart_and_evidence_in_chromium(chromium_path, live_server, user, market_trades):
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    trade = market_trades[5]
    tags = list(BiasTag.objects.filter(trade=trade))
    expected_conditions = sum(len(t.features["conditions"]) for t in tags)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    def grid_rows(page) -> int:
        page.goto(f"{live_server.url}/trades/")
        page.wait_for_selector("#trade-rows tr", timeout=15000)
        return page.locator("#trade-rows tr").count()

    def dashboard(page) -> dict:
        page.goto(f"{live_server.url}/dashboard/")
        page.wait_for_selector("#timeline-chart[data-rendered='1'] canvas", timeout=15000)
        return {"pnl_rows": page.locator("#pnl-table tbody tr").count(),
                "disposition": page.locator("#disposition").inner_text()}

    def steps(browser) -> dict:
        context = browser.new_context()
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        try:
            page.goto(f"{live_server.url}/trades/{trade.id}/")
            page.wait_for_selector("#trade-chart[data-rendered='1'] canvas", timeout=15000)
            box = page.locator("#trade-chart canvas").first.bounding_box()
            return {
                "canvases": page.locator("#trade-chart canvas").count(),
                "box": box,
                "status": page.locator("#chart-status").inner_text(),
                "conditions": page.locator("#evidence li.condition").count(),
                "first": page.locator("#evidence li.condition").first.inner_text(),
                "articles": page.locator("#evidence article").count(),
                "grid": grid_rows(page),
                "dashboard": dashboard(page),
                "problems": problems,
            }
        finally:
            context.close()

    seen = in_chromium(chromium_path, steps)
    assert seen["canvases"] >= 1
    assert seen["box"]["width"] > 100 and seen["box"]["height"] > 100
    assert "of your trades on BTC-USD in view" in seen["status"]
    assert seen["conditions"] == expected_conditions > 0
    assert any(word in seen["first"] for word in ("met", "near miss", "unknown"))
    assert seen["articles"] == len(tags)
    assert seen["grid"] == 12
    assert seen["dashboard"]["pnl_rows"] == BiasTag.objects.values("label").distinct().count()
    assert "PGR" in seen["dashboard"]["disposition"]
    assert seen["problems"] == []
