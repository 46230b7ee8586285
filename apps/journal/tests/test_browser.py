"""The journal in Chromium against daphne + the relay: a pre entry on an intent, the matching trade imported and
linked, its adherence on the trade page; a quick note written through the socket shows on the timeline."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from apps.bias.models import Rule
from apps.bias.registry import TradesScored, trades_scored_notify
from apps.core.testing import in_chromium
from apps.events.testing import child_env, session_cookie_for
from apps.gate.services import intents_link_trades
from apps.journal.models import JournalEntry
from apps.journal.selectors import entry_text
from apps.trades.testing import TradeFactory

from .conftest import make_intent

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_pre_entry_then_the_trade_shows_adherence_and_a_note_goes_through_the_socket(
        chromium_path, daphne_process, relay_process, user):
    intent = make_intent(user, plan={"entry": "100", "stop": "95", "target": "115", "thesis": "Range low holds."},
                         created_at=timezone.now() - timedelta(hours=2))
    env = child_env(GATE_FETCH_CANDLES="0")
    _, port = daphne_process(env=env)
    relay_process(env=env, poll_interval=0.2)
    name, value = session_cookie_for(user).split("=", 1)
    base = f"http://127.0.0.1:{port}"

    def session(browser, actions):
        context = browser.new_context(base_url=base)
        context.add_cookies([{"name": name, "value": value, "url": base}])
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and ("Content Security Policy" in m.text or "Refused" in m.text) else None)
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        try:
            return {**actions(page), "problems": problems}
        finally:
            context.close()

    def write_pre_entry(page) -> dict:
        from playwright.sync_api import expect

        page.goto(f"/journal/?intent={intent.id}")
        expect(page.locator("#journal-entry-form h2")).to_contain_text("Before the trade: BTC-USD")
        page.fill("#journal-entry-text", "Buying the range low, stop under 95.")
        page.fill("#journal-entry-tags", "plan range")
        page.fill("input[data-emotion='calm']", "4")
        page.click("#journal-entry-form button[type=submit]")
        page.wait_for_url(f"{base}/journal/")
        expect(page.locator("#journal-entries")).to_contain_text("Buying the range low")
        return {}

    first = in_chromium(chromium_path, lambda browser: session(browser, write_pre_entry))
    assert first["problems"] == []
    pre = JournalEntry.objects.get(type="pre")
    assert (pre.intent_id, pre.tags, pre.emotions) == (intent.id, ["plan", "range"], {"calm": 4})
    assert entry_text(entry=pre) == "Buying the range low, stop under 95."

    Rule.objects.create(user=user, kind="maxTradesPerDay", params={"limit": 3})
    Rule.objects.filter(user=user).update(created_at=timezone.now() - timedelta(days=2))
    # the import stores the matching trade; its final state links it to the intent, and scoring's hook follows
    buy = TradeFactory(user=user, side="BUY", symbol="BTC-USD", price=Decimal("100.4"), qty=Decimal("0.5"),
                       ts=timezone.now() - timedelta(hours=1))
    with transaction.atomic():  # both hooks run inside the transaction giving a job its final state
        assert intents_link_trades(user_id=user.id) == 1
    with transaction.atomic():
        trades_scored_notify(TradesScored(user_id=user.id, trades_scored=1))

    def see_adherence_and_add_a_note(page) -> dict:
        from playwright.sync_api import expect

        page.goto(f"/trades/{buy.id}/")
        panel = page.locator("#trade-journal")
        expect(panel.locator("tr[data-check='entrySlippagePct']")).to_contain_text("0.40", timeout=15000)
        expect(panel.locator("tr[data-check='sizeVsPlanPct']")).to_contain_text("kept")
        expect(panel.locator("tr[data-check='stopRespected']")).to_contain_text("not yet")
        checks = panel.locator("tr[data-check]").evaluate_all("rows => rows.map(r => r.dataset.check)")

        page.goto("/rules/")
        expect(page.locator("#rule-streaks tr[data-rule='maxTradesPerDay']")).to_contain_text("maxTradesPerDay")
        streak = page.locator("#rule-streaks tr[data-rule='maxTradesPerDay'] td").all_text_contents()

        page.goto("/journal/")
        expect(page.locator("#rule-streaks")).to_be_visible()
        expect(page.locator("#live-indicator")).to_have_attribute("data-state", "connected", timeout=15000)
        page.fill("#journal-note-text", "Waited for the close this time")
        page.click("#journal-note button[type=submit]")
        expect(page.locator("#journal-entries li").first).to_contain_text("Waited for the close this time",
                                                                           timeout=15000)
        return {"checks": checks, "streak": streak}

    seen = in_chromium(chromium_path, lambda browser: session(browser, see_adherence_and_add_a_note))
    assert seen["problems"] == []
    assert seen["streak"] == ["1", "1", "1", "0", "—"]  # one trading day, the rule held
    assert seen["checks"] == ["entrySlippagePct", "stopRespected", "targetReached", "sizeVsPlanPct", "holdVsTimeframe"]
    note = JournalEntry.objects.get(type="note")
    assert entry_text(entry=note) == "Waited for the close this time" and b"Waited" not in bytes(note.text_enc)


def test_attach_chart_snapshot_on_the_trade_page_stores_the_charts_png_on_the_post_entry(
        chromium_path, daphne_process, user):
    from django.core.files.storage import default_storage

    from apps.journal.models import Attachment
    from apps.simulations.testing import candles_store

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    candles_store(symbol="BTC-USD", first_open=now - timedelta(hours=48),
                  bars=[(100 + i % 5, 102 + i % 5, 99 + i % 5, 101 + i % 5) for i in range(48)])
    trade = TradeFactory(user=user, side="BUY", symbol="BTC-USD", price=Decimal("101"), qty=Decimal("0.5"),
                         ts=now - timedelta(hours=10, minutes=30))
    _, port = daphne_process(env=child_env(GATE_FETCH_CANDLES="0"))
    name, value = session_cookie_for(user).split("=", 1)
    base = f"http://127.0.0.1:{port}"

    def attach(browser) -> dict:
        from playwright.sync_api import expect

        context = browser.new_context(base_url=base)
        context.add_cookies([{"name": name, "value": value, "url": base}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto(f"/trades/{trade.id}/")
            page.wait_for_function("() => window.tradeChart !== undefined", timeout=15000)
            button = page.locator("#trade-journal-snapshot")
            expect(button).to_be_enabled()
            button.click()
            expect(page.locator("#trade-journal-status")).to_have_text("Snapshot attached.", timeout=15000)
            return {"errors": errors}
        finally:
            context.close()

    result = in_chromium(chromium_path, attach)
    assert result["errors"] == []
    post = JournalEntry.objects.get(user=user, type="post", trade=trade)
    attachment = Attachment.objects.get(entry=post)
    assert (attachment.user_id, attachment.content_type) == (user.id, "image/png")
    assert attachment.width > 100 and attachment.height > 100
    with default_storage.open(attachment.storage_key, "rb") as stored:
        body = stored.read()
    assert body[:8] == b"\x89PNG\r\n\x1a\n" and len(body) == attachment.size
