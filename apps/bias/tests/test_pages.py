"""Pages: trade detail in a real Chromium (chart canvas, evidence panel, no CSP violations); others render."""
import pytest
from django.conf import settings
from django.test import Client

from apps.bias.models import BiasTag
from apps.bias.services import bias_score_trades
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
def test_trade_detail_chart_and_evidence_in_chromium(browser, live_server, user, market_trades):
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    trade = market_trades[5]
    tags = list(BiasTag.objects.filter(trade=trade))
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{live_server.url}/trades/{trade.id}/")
        page.wait_for_selector("#trade-chart[data-rendered='1'] canvas", timeout=15000)
        assert page.locator("#trade-chart canvas").count() >= 1
        box = page.locator("#trade-chart canvas").first.bounding_box()
        assert box["width"] > 100 and box["height"] > 100
        assert "of your trades on BTC-USD in view" in page.locator("#chart-status").inner_text()
        conditions = page.locator("#evidence li.condition")
        expected = sum(len(t.features["conditions"]) for t in tags)
        assert conditions.count() == expected > 0
        first = conditions.first.inner_text()
        assert any(word in first for word in ("met", "unknown"))
        assert page.locator("#evidence article").count() == len(tags)
    finally:
        context.close()
    assert problems == []
