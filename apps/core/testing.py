"""Project-wide fixtures: API clients that enforce CSRF like a browser, and a real Chromium."""
from __future__ import annotations

import os
import shutil

import pytest
from rest_framework.test import APIClient

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters and cached values never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def csrf_client() -> APIClient:
    """An anonymous client that must send a CSRF token on unsafe methods, as a browser would."""
    return APIClient(enforce_csrf_checks=True)


def csrf_token_for(client: APIClient) -> str:
    response = client.get("/api/auth/csrf")
    assert response.status_code == 200, response.content
    return response.json()["csrfToken"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("TWIN_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package.")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield instance
        instance.close()
