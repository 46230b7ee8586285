"""The coach page in Chromium against daphne + the relay: history, thumbs up, and "ask about this trade"."""
import pytest

from apps.bias.models import ReflectionFeedback
from apps.bias.services import bias_score_trades
from apps.core.testing import in_chromium
from apps.events.models import EventOutbox
from apps.events.testing import child_env, session_cookie_for

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_coach_stream_feedback_and_ask(chromium_path, daphne_process, relay_process, user, market_trades):
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    env = child_env()
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
            page.goto("/coach/")
            expect(page.locator("#live-indicator")).to_have_attribute("data-state", "connected", timeout=15000)
            cards = page.locator("#coach-stream > article")
            expect(cards).to_have_count(12, timeout=15000)
            first = cards.first
            event_id = first.get_attribute("data-event-id")
            asked_trade = first.get_attribute("data-trade-id")
            first.locator(".vote[data-vote='up']").click()
            expect(page.locator("#coach-status")).to_contain_text("feedback saved", timeout=10000)
            first.locator(".ask").click()
            expect(cards.first).not_to_have_attribute("data-event-id", event_id, timeout=15000)
            newest = cards.first
            seen = {"event_id": event_id, "new_event_id": newest.get_attribute("data-event-id"),
                    "new_trade": newest.get_attribute("data-trade-id"), "asked_trade": asked_trade,
                    "cards": cards.count(), "folded": newest.locator(".older-list > article").count(),
                    "folded_event": newest.locator(".older-list > article").first.get_attribute("data-event-id"),
                    "insight": newest.locator(":scope > .insight").inner_text()}

            page.goto(f"/trades/{asked_trade}/")
            page.click("#ask-coach")
            page.wait_for_url(f"{base}/coach/?trade={asked_trade}")
            seen["prefilled"] = page.input_value("#ask-trade")
            page.fill("#ask-trade", "")
            page.click("#ask-form button[type=submit]")
            seen["empty_submit"] = page.inner_text("#coach-status")
            seen["problems"] = problems
            return seen
        finally:
            context.close()

    seen = in_chromium(chromium_path, steps)
    assert seen["problems"] == []
    feedback = list(ReflectionFeedback.objects.values_list("reflection__event_id", "vote"))
    assert feedback == [(seen["event_id"], "up")]
    asked = EventOutbox.objects.get(id=seen["new_event_id"])
    assert asked.type == "coach.reflect"
    assert asked.payload["tradeId"] == seen["asked_trade"] == seen["new_trade"]
    assert seen["insight"] == asked.payload["insight"]
    assert (seen["cards"], seen["folded"], seen["folded_event"]) == (12, 1, seen["event_id"])  # one card per trade
    assert seen["prefilled"] == seen["asked_trade"]
    assert seen["empty_submit"] == "Pick a trade first: open it from Trades and use “Ask the coach about this trade”."
    assert EventOutbox.objects.filter(type="coach.reflect").count() == 13
