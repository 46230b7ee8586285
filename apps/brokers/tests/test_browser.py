"""A real Chromium connects Coinbase (OAuth through the embedded stub) and Binance, pauses and disconnects,
with no console errors and no CSP violations."""
from __future__ import annotations

import pytest

from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory
from apps.brokers.models import BrokerConnection

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@pytest.fixture(autouse=True)
def _embedded_env(monkeypatch):
    """Set before the live server starts (autouse runs first): the server process runs its own embedded stub."""
    monkeypatch.setenv("STUB_EXCHANGE_EMBEDDED", "1")


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.problems = []
    # the refused trading key answers 400 on purpose; the browser logs that as a failed resource
    page.on("console", lambda msg: msg.type == "error" and "status of 400" not in msg.text
            and page.problems.append(msg.text))
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
    page.expose_function("reportCspViolation", lambda text: page.problems.append(f"csp: {text}"))
    page.add_init_script(CSP_LISTENER)
    yield page
    context.close()


def test_connect_pause_disconnect_in_the_browser(live_asgi_server, page):
    user = UserFactory()
    base = live_asgi_server
    page.goto(f"{base}/login/?next=/connections/")
    page.fill("#id_email", user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/connections/")
    assert page.is_visible("#connections-empty")

    page.click("#coinbase-connect")
    page.wait_for_url(f"{base}/connections/?linked=coinbase")
    assert page.text_content("#connections-linked") == "Coinbase is connected."

    page.fill("#binance-key", "stub-trading-key")
    page.fill("#binance-secret", "stub-trading-secret")
    page.click("#binance-submit")
    page.wait_for_selector("#connections-error:not([hidden])")
    assert page.text_content("#connections-error").startswith("This key is not read-only")
    assert page.input_value("#binance-secret") == ""

    page.fill("#binance-key", "stub-read-only-key")
    page.fill("#binance-secret", "stub-read-only-secret")
    page.click("#binance-submit")
    page.wait_for_url(f"{base}/connections/?linked=binance")
    assert page.locator("#connections-table tbody tr").count() == 2

    coinbase = BrokerConnection.objects.get(user=user, broker="coinbase")
    row = f'tr[data-connection-id="{coinbase.id}"]'
    page.click(f'{row} button[data-action="pause"]')
    page.wait_for_selector(f'{row}[data-status="paused"]')
    page.on("dialog", lambda dialog: dialog.accept())
    page.click(f'{row} button[data-action="disconnect"]')
    page.wait_for_selector(f'{row}[data-status="revoked"]')

    assert page.problems == []
    coinbase.refresh_from_db()
    assert coinbase.status == "revoked" and bytes(coinbase.access_enc) == b""
    assert BrokerConnection.objects.get(user=user, broker="binance").status == "active"
