"""The account page names each session's device coarsely ("Chrome on Linux", derived when the session is written,
never the raw user agent), its network masked and when it was last seen, and lets the user end another session."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.devices import device_summary, ip_mask
from apps.accounts.models import Audit, Session
from apps.accounts.services import session_end
from apps.accounts.sessions import LAST_SEEN_EVERY, session_cache_forget
from apps.accounts.testing import UserFactory
from apps.core.testing import in_chromium

DESKTOP_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
              "Safari/537.36")
PHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Mobile/15E148 Safari/604.1")
PASSWORD = "violet-harbour-lantern-42"


@pytest.mark.parametrize(("user_agent", "device"), [
    (DESKTOP_UA, "Chrome on Linux"),
    (PHONE_UA, "Mobile Safari on iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
    ("curl/8.5.0", "curl"),
    ("", "Unknown device"),
    ("\x00\xff garbage", "Unknown device"),
])
def test_a_user_agent_reads_as_browser_on_system(user_agent, device):
    assert device_summary(user_agent) == device


@pytest.mark.parametrize(("address", "masked"), [
    ("203.0.113.57", "203.0.113.x"), ("2001:db8:1:2::5", "2001:db8:1::/48"), ("::ffff:198.51.100.7", "198.51.100.x"),
    ("", ""), ("not an address", ""),
])
def test_an_address_keeps_only_its_network(address, masked):
    assert ip_mask(address) == masked


def _sign_in(user_agent: str, address: str, email: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    assert client.post("/login/", {"email": email, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.django_db
@pytest.mark.postgres
def test_signing_in_stores_the_device_and_masked_network_never_the_raw_client():
    user = UserFactory(password=PASSWORD)
    _sign_in(DESKTOP_UA, "203.0.113.57", user.email)

    session = Session.objects.get(user=user)
    assert (session.device, session.ip_masked) == ("Chrome on Linux", "203.0.113.x")
    assert timezone.now() - session.last_seen < timedelta(seconds=30)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_session WHERE user_id = %s", [user.id])
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert "Mozilla" not in stored and "203.0.113.57" not in stored


@pytest.mark.django_db
@pytest.mark.postgres
def test_last_seen_is_refreshed_at_most_every_few_minutes(django_assert_num_queries):
    user = UserFactory(password=PASSWORD)
    client = _sign_in(DESKTOP_UA, "203.0.113.57", user.email)
    session = Session.objects.get(user=user)
    first = session.last_seen

    client.get("/labels/")
    assert Session.objects.get(pk=session.pk).last_seen == first  # seen just now: no write

    stale = timezone.now() - LAST_SEEN_EVERY - timedelta(seconds=1)
    Session.objects.filter(pk=session.pk).update(last_seen=stale)
    session_cache_forget(session.session_key)  # written behind the engine's back: drop its cached copy
    client.get("/labels/")
    assert Session.objects.get(pk=session.pk).last_seen > stale + LAST_SEEN_EVERY


@pytest.mark.django_db
@pytest.mark.postgres
def test_ending_a_session_that_is_not_yours_or_is_this_one_ends_nothing():
    owner, stranger = UserFactory(password=PASSWORD), UserFactory(password=PASSWORD)
    mine = _sign_in(DESKTOP_UA, "203.0.113.57", owner.email)
    _sign_in(PHONE_UA, "198.51.100.7", stranger.email)
    theirs = Session.objects.get(user=stranger)
    current = Session.objects.get(user=owner)

    response = mine.post(f"/account/sessions/{theirs.id}/end")
    assert response.status_code == 302
    assert session_end(user=owner, session_id=current.id, current_session_key=current.session_key) == 0
    assert mine.post("/account/sessions/no-such-id/end").status_code == 302
    assert mine.get(f"/account/sessions/{theirs.id}/end").status_code == 405

    assert Session.objects.filter(pk__in=[theirs.pk, current.pk]).count() == 2
    assert not Audit.objects.filter(action="session_ended").exists()


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_account_page_shows_each_device_and_ends_the_other_session(chromium_path, live_server):
    from apps.bias.tests.test_interface_browser import AXE, AXE_RUN, SCREENSHOTS, VIEWPORTS

    user = UserFactory(password=PASSWORD)
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def sign_in(browser, user_agent: str, viewport: dict):
        context = browser.new_context(user_agent=user_agent, viewport=viewport, timezone_id="Europe/Berlin",
                                      bypass_csp=True)
        page = context.new_page()
        page.goto(f"{base}/login/")
        page.fill("#id_email", user.email)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{base}/dashboard/")
        return context, page

    def read(page, size: str) -> dict:
        page.goto(f"{base}/account/")
        page.screenshot(path=str(SCREENSHOTS / f"member-account-sessions-{size}.png"), full_page=True)
        page.evaluate(AXE.read_text())
        return {"devices": page.locator("#account-sessions .session-device").all_inner_texts(),
                "networks": page.locator("#account-sessions tbody td:nth-child(2)").all_inner_texts(),
                "seen": page.locator("#account-sessions tbody td:nth-child(3)").all_inner_texts(),
                "this": page.inner_text("#account-sessions tr:has(.chip) .session-device"),
                "axe": page.evaluate(AXE_RUN),
                "overflow": page.evaluate("() => document.documentElement.scrollWidth"
                                          " - document.documentElement.clientWidth")}

    def steps(browser) -> dict:
        desktop, desk = sign_in(browser, DESKTOP_UA, VIEWPORTS["desktop"])
        phone, mobile = sign_in(browser, PHONE_UA, VIEWPORTS["phone"])
        seen = {"desktop": read(desk, "desktop"), "phone": read(mobile, "phone")}
        desk.click("#account-sessions tr:has-text('Mobile Safari on iOS') button")
        desk.wait_for_selector("text=Signed out 1 other session.")
        seen["after"] = desk.locator("#account-sessions .session-device").all_inner_texts()
        mobile.goto(f"{base}/account/")
        seen["phone_url"] = mobile.url
        desktop.close()
        phone.close()
        return seen

    seen = in_chromium(chromium_path, steps, timeout=240)

    for size in ("desktop", "phone"):
        assert sorted(seen[size]["devices"]) == ["Chrome on Linux", "Mobile Safari on iOS"]
        assert seen[size]["networks"] == ["127.0.0.x", "127.0.0.x"]
        assert all(text == "just now" or text.endswith("ago") for text in seen[size]["seen"]), seen[size]["seen"]
        assert seen[size]["axe"] == []
        assert seen[size]["overflow"] <= 0
    assert seen["desktop"]["this"] == "Chrome on Linux"
    assert seen["phone"]["this"] == "Mobile Safari on iOS"
    assert seen["after"] == ["Chrome on Linux"]
    assert seen["phone_url"].startswith(f"{base}/login/")
    assert list(Session.objects.filter(user=user).values_list("device", flat=True)) == ["Chrome on Linux"]
    assert Audit.objects.filter(user=user, action="session_ended").count() == 1
