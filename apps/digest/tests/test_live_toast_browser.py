"""A digest built while the dashboard is open (manage.py build_digests, in this process) reaches the page live:
the `digest.ready` event goes through the outbox and the relay to the page's socket, the toast appears, and the
latest-digest card shows that week — in a real Chromium against the real ASGI server, at both sizes."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from apps.digest.models import Digest

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _embedded_relay(monkeypatch):
    """Set before the live server starts: the outbox relay runs inside it, as in the embedded default."""
    monkeypatch.setenv("OUTBOX_RELAY_EMBEDDED", "1")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_digest_built_while_the_dashboard_is_open_pops_a_toast_and_fills_the_card(
        live_asgi_server, browser, user, week_book, size):
    from apps.bias.tests.test_interface_browser import AXE, AXE_RUN, VIEWPORTS

    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=VIEWPORTS[size], bypass_csp=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_asgi_server}])
    page = context.new_page()
    page.goto(f"{live_asgi_server}/dashboard/")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "connected", timeout=30_000)
    assert page.locator("#digest-latest").is_hidden() and page.locator("#digest-toast").count() == 0

    call_command("build_digests", week="2026-W47", user=user.email)

    digest = Digest.objects.get(user=user)
    toast = page.locator("#digest-toast")
    expect(toast).to_be_visible(timeout=30_000)
    assert toast.inner_text().startswith("Your weekly digest is ready.")
    assert toast.locator("a").get_attribute("href") == f"/digest/{digest.id}/"
    card = page.locator("#digest-latest")
    expect(card).to_be_visible(timeout=15_000)
    assert card.locator("h2").inner_text() == f"Your week · {digest.week}" == "Your week · 2026-W47"
    assert card.locator(".digest-narrative").inner_text() == digest.payload["narrative"]["text"]
    page.evaluate(AXE.read_text())
    assert page.evaluate(AXE_RUN) == []
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    toast.locator("button").click()
    expect(toast).to_have_count(0)
    context.close()
