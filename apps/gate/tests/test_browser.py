"""The intent form in Chromium against daphne + the relay: submit, the decision arrives live with its
reasons and tasks, the cooldown banner shows, the override is recorded."""
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.testing import in_chromium
from apps.events.testing import child_env, session_cookie_for
from apps.gate.models import Cooldown, Override, PretradeIntent

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_intent_form_to_live_decision_banner_and_override(chromium_path, daphne_process, relay_process, user):
    ends = timezone.now() + timedelta(hours=2)
    cooldown = Cooldown.objects.create(user=user, reason="losses", trigger_key="losses:t1",
                                       message="3 losing exits in a row: your rule asks for 12 hours of cooldown.",
                                       evidence={"value": 3, "threshold": 3},
                                       starts_at=timezone.now() - timedelta(hours=10), ends_at=ends)
    env = child_env(GATE_FETCH_CANDLES="0")
    _, port = daphne_process(env=env)
    relay_process(env=env, poll_interval=0.2)
    name, value = session_cookie_for(user).split("=", 1)
    base = f"http://127.0.0.1:{port}"

    def steps(browser) -> dict:
        from playwright.sync_api import expect

        context = browser.new_context(base_url=base)
        context.add_cookies([{"name": name, "value": value, "url": base}])
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and ("Content Security Policy" in m.text or "Refused" in m.text) else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        try:
            page.goto("/intents/new")
            expect(page.locator("#live-indicator")).to_have_attribute("data-state", "connected", timeout=15000)
            banner = page.locator("#cooldown-banner")
            expect(banner).to_be_visible(timeout=10000)
            expect(banner).to_have_attribute("data-cooldown-id", cooldown.id)
            page.fill("#intent-symbol", "btc-usd")
            page.fill("#intent-size", "0.5")
            page.fill("#intent-entry", "100")
            page.fill("#intent-thesis", "Range low holds; written before the open.")
            page.click("#intent-submit")
            expect(page.locator("#intent-errors")).to_be_hidden()
            badge = page.locator("#decision-badge")
            expect(badge).to_have_attribute("data-decision", "WAIT", timeout=15000)
            codes = page.locator("#decision-reasons li").evaluate_all("items => items.map(i => i.dataset.code)")
            tasks = page.locator("#decision-tasks li").evaluate_all("items => items.map(i => i.dataset.ctaId)")
            intent_id = page.locator("#intent-decision").get_attribute("data-intent-id")
            page.fill("#override-rationale", "My stop is in my head and the plan predates the streak.")
            page.fill("#override-risk", "I accept losing what the plan risks.")
            page.fill("#override-safeguards", "Half size\nNo re-entry today")
            page.click("#override-submit")
            expect(page.locator("#override-status")).to_have_text("Override recorded: acknowledged.", timeout=10000)
            page.fill("#intent-entry", "")
            page.click("#intent-submit")
            expect(page.locator("#intent-errors")).to_contain_text("$.plan.entry")
            page.goto("/intents/")
            row = page.locator(f"tr[data-intent-id='{intent_id}']")
            expect(row).to_contain_text("Wait")
            expect(row).to_contain_text("acknowledged")
            return {"codes": codes, "tasks": tasks, "intent_id": intent_id, "problems": problems}
        finally:
            context.close()

    seen = in_chromium(chromium_path, steps)
    assert seen["problems"] == []
    assert seen["codes"] == ["cooldown_active", "stop_missing"]
    assert seen["tasks"] == ["journal_pre", "wait", "checklist"]
    intent = PretradeIntent.objects.get(id=seen["intent_id"])
    assert (intent.symbol, intent.decision, intent.until) == ("BTC-USD", "WAIT", ends)
    override = Override.objects.get(intent=intent)
    assert (override.status, override.safeguards) == ("acknowledged", ["Half size", "No re-entry today"])
    assert PretradeIntent.objects.count() == 1
