"""A real Chromium imports from the embedded stub (live progress, then done) and uploads an export file,
against the real ASGI server running import jobs on its in-process thread pool (the embedded default)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory
from apps.trades.models import ImportJob, Trade

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

FIXTURE = Path(__file__).parent / "parsers" / "fixtures" / "coinbase_pro_fills.csv"
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@pytest.fixture(autouse=True)
def _embedded_env(monkeypatch):
    """Set before the live server starts: its own embedded stub, and import jobs on its thread pool."""
    monkeypatch.setenv("STUB_EXCHANGE_EMBEDDED", "1")
    monkeypatch.setenv("JOBS_IN_PROCESS", "1")


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(msg.text))
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
    page.expose_function("reportCspViolation", lambda text: page.problems.append(f"csp: {text}"))
    page.add_init_script(CSP_LISTENER)
    yield page
    context.close()


def _login(page, base: str, user, next_path: str) -> None:
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_email", user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def test_import_from_a_connected_exchange_shows_progress_to_done(live_asgi_server, page, settings):
    from apps.brokers.services import connection_link_stub

    settings.STUB_EXCHANGE_EMBEDDED = True  # link through this process's embedded stub (same signing key)
    user = UserFactory()
    connection_link_stub(user=user, broker="coinbase")
    _login(page, live_asgi_server, user, "/import/")

    page.select_option("#import-broker", "coinbase")
    page.click("#import-button")
    page.wait_for_selector("#import-progress:not([hidden])")
    expect(page.locator("#import-status")).to_have_text(re.compile(r"^Done: "), timeout=90_000)

    job = ImportJob.objects.get(user=user)
    stored = Trade.objects.filter(user=user).count()
    assert job.status == "done" and stored == job.inserted > 0
    assert page.text_content("#count-inserted") == str(stored)
    assert page.text_content("#count-fetched") == str(job.fetched)
    assert page.is_visible("#import-trades-link")
    assert page.problems == []


def test_upload_an_export_shows_imported_and_unreadable_rows(live_asgi_server, page):
    user = UserFactory()
    _login(page, live_asgi_server, user, "/upload/")

    page.set_input_files("#upload-file", str(FIXTURE))
    page.click("#upload-button")
    expect(page.locator("#upload-status")).to_have_text(re.compile(r"^Imported: 0 already imported, \d+ new\.$"),
                                                        timeout=60_000)

    job = ImportJob.objects.get(user=user)
    assert job.status == "done" and job.source == "upload"
    assert page.text_content("#result-format") == "Coinbase Pro fills"
    assert page.text_content("#result-inserted") == str(Trade.objects.filter(user=user).count()) == str(job.inserted)
    rows = page.locator("#row-errors-body tr")
    assert rows.count() == len(job.report["errors"]) > 0
    assert rows.first.locator("td").first.text_content() == str(job.report["errors"][0]["line"])
    assert page.problems == []


def test_generic_csv_is_mapped_in_the_browser_then_imported(live_asgi_server, page):
    user = UserFactory()
    _login(page, live_asgi_server, user, "/upload/")
    generic = FIXTURE.parent / "generic_semicolon.csv"

    page.set_input_files("#upload-file", str(generic))
    page.click("#upload-button")
    page.wait_for_selector("#mapping-section:not([hidden])")
    page.fill("#mapping-name", "mybroker")
    guessed = {field: page.input_value(f"#map-{field}") for field in
               ("timestamp", "symbol", "side", "qty", "price", "fee", "ext_id")}
    assert guessed == {"timestamp": "When", "symbol": "Instrument", "side": "Direction", "qty": "Quantity",
                       "price": "Unit Price", "fee": "Commission", "ext_id": "trade_id"}  # preselected from the header names
    assert page.locator("#mapping-sample-body tr").count() == 3  # the first rows, to check the guesses against
    page.click("#mapping-form button[type=submit]")
    expect(page.locator("#upload-status")).to_have_text(re.compile(r"^Imported: 0 already imported, \d+ new\.$"),
                                                        timeout=60_000)

    job = ImportJob.objects.get(user=user)
    assert (job.status, job.report["format"], job.report["mapping"]) == ("done", "generic", "mybroker")
    assert Trade.objects.filter(user=user).count() == job.inserted > 0
    assert page.input_value("#upload-mapping") == "mybroker"
    # the first attempt (no mapping) answers 400 by design; nothing else may fail
    assert [p for p in page.problems if "status of 400" not in p] == []
    assert page.is_hidden("#upload-error")  # mapping the columns is a step, not an error


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_uploading_the_same_file_again_reports_it_as_already_imported(live_asgi_server, browser, size):
    from apps.bias.tests.test_interface_browser import VIEWPORTS

    user = UserFactory()
    context = browser.new_context(viewport=VIEWPORTS[size])
    page = context.new_page()
    _login(page, live_asgi_server, user, "/upload/")
    page.set_input_files("#upload-file", str(FIXTURE))
    page.click("#upload-button")
    expect(page.locator("#upload-status")).to_have_text(re.compile(r"^Imported: "), timeout=60_000)
    first = ImportJob.objects.get(user=user)
    stored = Trade.objects.filter(user=user).count()

    page.reload()
    page.set_input_files("#upload-file", str(FIXTURE))
    page.click("#upload-button")
    expect(page.locator("#upload-status")).to_have_text(
        f"You imported this file before: {stored} already imported, 0 new.", timeout=60_000)

    assert page.text_content("#result-inserted") == "0"
    assert page.text_content("#result-duplicates") == str(stored) == str(first.inserted)
    assert page.text_content("#result-format") == "Coinbase Pro fills"
    assert Trade.objects.filter(user=user).count() == stored and ImportJob.objects.filter(user=user).count() == 1
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    context.close()
