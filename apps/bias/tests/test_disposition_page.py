"""The dashboard shows the disposition effect with its counts and whether it is significant yet (Chromium)."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from apps.bias.models import DispositionDay
from apps.core.testing import in_chromium
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_dashboard_shows_counts_and_significance(chromium_path, live_server, user):
    today = timezone.now().date()
    TradeFactory(user=user, ts=timezone.now() - timedelta(days=3))
    DispositionDay.objects.create(user=user, day=today - timedelta(days=3), realized_gains=60, paper_gains=40,
                                  realized_losses=30, paper_losses=70, sales_unknown=2)
    DispositionDay.objects.create(user=user, day=today - timedelta(days=2), counted=False)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    def steps(browser) -> list[str]:
        context = browser.new_context()
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        try:
            page.goto(f"{live_server.url}/dashboard/")
            page.wait_for_selector("#disposition .disposition-figure", timeout=15000)
            return [p.inner_text() for p in page.locator("#disposition p").all()]
        finally:
            context.close()

    lines = in_chromium(chromium_path, steps)
    assert lines[0] == "PGR 60.0% − PLR 30.0% = +0.300"
    assert lines[1] == ("Standard error 0.067, t = 4.47. Significant at the 5% level (|t| ≥ 1.96): "
                        "unlikely to be chance.")
    assert lines[2] == ("Gains realised 60, gains left on paper 40; losses realised 30, losses left on paper 70, "
                        "over 2 sale days.")
    assert lines[3] == ("1 sale day(s) with a single market held were not counted; 2 sale(s) whose buy is not in "
                        "your history could not be classified.")
