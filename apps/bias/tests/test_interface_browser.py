"""Every page in a real Chromium at a desktop (1366×900) and a phone (390×844) size, as a trader reads it: no raw
long decimals or ISO timestamps, P/L signed and coloured, no sideways scrolling on the phone, the real 404 page.
Screenshots of each page go to var/artifacts/screenshots/ (kept by CI as artifacts)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from apps.accounts.testing import UserFactory
from apps.bias.engine import LABELS
from apps.bias.services import bias_score_trades
from apps.core import formatting
from apps.core.testing import in_chromium

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "artifacts" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"  # axe-core 4.10.3 from npm (MPL-2.0)
AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations.filter(v => v.impact === "critical" || v.impact === "serious")
        .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")}`);
}"""
PAGE_BUDGET = 300_000  # bytes a page may load on a first visit (uncompressed here; compressed in production)
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")
LONG_DECIMAL = re.compile(r"\d\.\d{9,}")
FIAT_TOO_PRECISE = re.compile(r"\d\.\d{3,} (?:USD|USDT|USDC|EUR|GBP)\b")  # money: 2 decimals in fiat and stablecoins
PNL_TEXT = re.compile(r"^(?:[+\u2212]\d{1,3}(?:,\d{3})*\.\d{2}|0\.00) [A-Z]{3,5}$")
MEMBER_PAGES = ["/dashboard/", "/analytics/", "/trades/", "{trade}", "{sell}", "/connections/", "/import/",
                "/upload/", "/coach/", "/rules/", "/intents/new", "/digest/", "/account/", "/logout/", "/labels/"]
# Pages whose content comes from scripts: wait for what they render before reading them.
READY = {"/dashboard/": "#dash-body:not([hidden]), #dash-empty:not([hidden])", "/trades/": "#trade-rows tr",
         "{trade}": "#trade-chart[data-rendered='1'], #chart-status:not(:empty)"}


def _read(page) -> dict:
    return page.evaluate("""() => ({
        text: document.body.innerText,
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        pnl: Array.from(document.querySelectorAll('.pnl')).map(e => ({text: e.textContent.trim(),
             cls: e.className})),
        bytes: performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
             .reduce((sum, entry) => sum + (entry.encodedBodySize || 0), 0),
    })""")


def _visit(browser, base: str, cookie: str | None, paths: list[str], tag: str) -> dict:
    seen = {}
    for size, viewport in VIEWPORTS.items():
        # bypass_csp only lets the test inject axe-core; the pages' own CSP is covered by the app's page tests.
        context = browser.new_context(viewport=viewport, timezone_id="Europe/Berlin", bypass_csp=True)
        if cookie:
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
        page = context.new_page()
        try:
            for path, key in paths:
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                if key in READY:
                    page.wait_for_selector(READY[key], timeout=15000)
                name = re.sub(r"[^a-z0-9]+", "-", key.strip("/").lower()) or "home"
                page.screenshot(path=str(SCREENSHOTS / f"{tag}-{name}-{size}.png"), full_page=True)
                seen[(key, size)] = _read(page)
                page.evaluate(AXE.read_text())
                seen[(key, size)]["axe"] = page.evaluate(AXE_RUN)
            if cookie and "{sell}" in {key for _, key in paths}:
                seen[("tip", size)] = _hover_current_trade(page, base, {k: p for p, k in paths}["{sell}"])
            if cookie and "/trades/" in {key for _, key in paths}:
                page.goto(f"{base}/trades/")
                page.wait_for_selector("#trade-rows tr", timeout=15000)
                page.fill("#filter-symbol", "eth-usd")
                page.press("#filter-symbol", "Enter")
                page.wait_for_function("() => { const cells = Array.from(document.querySelectorAll("
                                       "'#trade-rows tr td:nth-child(2)'));"
                                       " return cells.length > 0 && cells.every(td => td.textContent === 'ETH-USD'); }",
                                       timeout=15000)
                seen[("filtered", size)] = page.locator("#trade-rows tr").count()
            if size == "phone" and cookie:
                page.goto(f"{base}/dashboard/")
                hidden = page.locator("#site-nav").is_visible()
                page.click("#nav-toggle")
                seen[("nav", size)] = {"hidden_before": not hidden, "shown_after": page.locator(
                    "#site-nav a[href='/trades/']").is_visible()}
        finally:
            context.close()
    return seen


def _hover_current_trade(page, base: str, path: str) -> str:
    """Hover the highlighted arrow of the trade the page is about; the chart names it in its tooltip."""
    page.goto(f"{base}{path}")
    page.wait_for_selector("#trade-chart[data-current-time]", timeout=15000)
    x = page.evaluate("() => window.tradeChart.timeScale().timeToCoordinate("
                      "Number(document.getElementById('trade-chart').dataset.currentTime))")
    box = page.locator("#trade-chart").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + box["height"] / 2)
    page.wait_for_selector(".chart-tip:not([hidden])", timeout=5000)
    return page.inner_text(".chart-tip")


def _problems(seen: dict) -> list[str]:
    problems = []
    for entry, page in seen.items():
        if not isinstance(entry, tuple) or entry[0] in {"nav", "tip", "filtered"}:
            continue
        key, size = entry
        for pattern, what in ((ISO_TIME, "ISO time"), (LONG_DECIMAL, "long decimal"),
                              (FIAT_TOO_PRECISE, "unrounded money")):
            for match in pattern.findall(page["text"]):
                problems.append(f"{key} {size}: {what} {match}")
        problems.extend(f"{key} {size}: axe {violation}" for violation in page.get("axe", []))
        if page["bytes"] > PAGE_BUDGET:
            problems.append(f"{key} {size}: {page['bytes']} bytes on first load")
        if size == "phone" and page["scrollWidth"] > page["clientWidth"]:
            problems.append(f"{key} {size}: page {page['scrollWidth']} px wide in {page['clientWidth']} px")
        for pnl in page["pnl"]:
            tone = "pnl-loss" if pnl["text"].startswith("\u2212") else "pnl-gain" if pnl["text"].startswith(
                "+") else "pnl-flat"
            if not PNL_TEXT.match(pnl["text"]) or tone not in pnl["cls"]:
                problems.append(f"{key} {size}: P/L {pnl['text']!r} ({pnl['cls']})")
    return problems


@pytest.mark.django_db(transaction=True)
def test_every_page_reads_cleanly_on_desktop_and_phone(chromium_path, live_server, user, market_trades):
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    sell = next(t for t in market_trades if t.side == "SELL" and t.position.realized_pnl is not None)
    paths = [(p.replace("{trade}", f"/trades/{market_trades[5].id}/").replace("{sell}", f"/trades/{sell.id}/"), p)
             for p in MEMBER_PAGES]
    paths.append(("/trades/doesnotexist/", "/trades/doesnotexist/"))

    seen = in_chromium(chromium_path, lambda browser: _visit(browser, live_server.url, cookie, paths, "member"),
                       timeout=600)

    problems = _problems(seen)
    assert problems == [], "\n".join(problems)
    for size in VIEWPORTS:
        assert seen[("{sell}", size)]["pnl"], "the sale's realised P/L is shown as a signed, coloured figure"
        assert seen[("/trades/", size)]["pnl"], "the grid shows realised P/L as signed, coloured figures"
        missing = seen[("/trades/doesnotexist/", size)]["text"]
        assert "Page not found" in missing and "URLconf" not in missing
    assert seen[("nav", "phone")] == {"hidden_before": True, "shown_after": True}
    eth = sum(1 for t in market_trades if t.symbol == "ETH-USD")
    assert seen[("filtered", "desktop")] == seen[("filtered", "phone")] == eth > 0
    sold = f"This trade: Sell {formatting.format_quantity(sell.qty)} @ {formatting.format_price(sell.price)} · "
    for size in VIEWPORTS:
        assert seen[("tip", size)].startswith(sold), seen[("tip", size)]


@pytest.mark.django_db(transaction=True)
def test_a_new_account_lands_on_the_dashboard_with_the_three_ways_in(chromium_path, live_server):
    newcomer = UserFactory()
    client = Client()
    client.force_login(newcomer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def steps(browser) -> dict:
        seen = _visit(browser, live_server.url, cookie, [("/", "/dashboard/")], "new")
        seen.update(_visit(browser, live_server.url, None, [("/", "/"), ("/login/", "/login/"),
                                                            ("/signup/", "/signup/"),
                                                            ("/no-such-page/", "/missing/")], "visitor"))
        context = browser.new_context(viewport=VIEWPORTS["desktop"])
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("#dash-empty:not([hidden])", timeout=15000)
        seen["landing"] = {"url": page.url, "ways": page.locator("#dash-empty .way .button").all_inner_texts(),
                           "demo": page.inner_text("#demo-note")}
        context.close()
        return seen

    seen = in_chromium(chromium_path, steps, timeout=300)

    problems = _problems(seen)
    assert problems == [], "\n".join(problems)
    assert seen["landing"]["url"] == f"{live_server.url}/dashboard/"
    assert seen["landing"]["ways"] == ["Connect Coinbase", "Add a Binance key", "Upload a file"]
    assert "demo@twin.local" in seen["landing"]["demo"]
    for size in VIEWPORTS:
        assert "Page not found" in seen[("/missing/", size)]["text"]


@pytest.mark.django_db
def test_every_label_is_explained_and_each_chip_on_a_trade_links_there(user, market_trades):
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    client = Client()
    explained = client.get("/labels/").content.decode()
    for label in LABELS:
        assert f'<section class="card label-explain" id="{label.lower()}">' in explained
    client.force_login(user)
    page = client.get(f"/trades/{market_trades[5].id}/").content.decode()
    tags = market_trades[5].bias_tags.values_list("label", flat=True)
    assert tags
    for label in tags:
        assert f'<a class="chip chip-{label.lower()}" href="/labels/#{label.lower()}"' in page
