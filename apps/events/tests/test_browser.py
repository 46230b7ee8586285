"""coach-socket.js in Chromium against daphne + the relay: events appended while offline arrive after reconnect."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

from apps.core.testing import in_chromium
from apps.events.testing import append_committed, child_env, session_cookie_for, stop_process

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]

COLLECT = ("window.__got = []; document.addEventListener('coach:event', function (e) {"
           " window.__got.push(e.detail.eventId); });")


def _in_thread(fn, **kwargs):
    def run():
        try:
            return fn(**kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_events_appended_while_offline_appear_after_reconnect(chromium_path, daphne_process, relay_process, user):
    in_chromium(chromium_path, lambda browser: _scenario(browser, daphne_process, relay_process, user))


def _scenario(browser, daphne_process, relay_process, user) -> None:
    env = child_env()
    server, port = daphne_process(env=env)
    relay_process(env=env, poll_interval=0.5)
    name, value = _in_thread(session_cookie_for, user=user).split("=", 1)
    base = f"http://127.0.0.1:{port}"
    context = browser.new_context(base_url=base)
    context.add_cookies([{"name": name, "value": value, "url": base}])
    context.add_init_script(COLLECT)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    try:
        page.goto("/account/")
        indicator = page.locator("#live-indicator")
        expect(indicator).to_have_attribute("data-state", "connected", timeout=15000)

        first = _in_thread(append_committed, user=user, count=2)
        page.wait_for_function("n => window.__got.length >= n", arg=2, timeout=15000)

        # The page goes offline and the server goes away; events are committed meanwhile.
        context.set_offline(True)
        stop_process(server)
        expect(indicator).to_have_attribute("data-state", "reconnecting", timeout=15000)
        missed = _in_thread(append_committed, user=user, count=3)

        daphne_process(env=env, port=port)
        context.set_offline(False)
        page.wait_for_function("n => window.__got.length >= n", arg=5, timeout=30000)
        expect(indicator).to_have_attribute("data-state", "connected", timeout=15000)
        live = _in_thread(append_committed, user=user, count=1)
        page.wait_for_function("n => window.__got.length >= n", arg=6, timeout=15000)
        page.wait_for_timeout(500)

        assert page.evaluate("window.__got") == first + missed + live
        assert page.evaluate("window.coachSocket.lastEventId()") == live[0]
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p]
    finally:
        context.close()
