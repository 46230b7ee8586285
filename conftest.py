"""Shared test fixtures. Apps contribute theirs in `apps/<app>/testing.py` (listed below)."""
from __future__ import annotations

import os

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

from apps.core.testing import chromium_available

# CI explores the same examples every run (a red build is then reproducible); local runs keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

pytest_plugins = [
    "apps.core.testing",
    "apps.accounts.testing",
    "apps.events.testing",
    "apps.brokers.testing",
    "apps.trades.testing",
    "apps.bias.testing",
    "apps.events.contract_checks",
]


def pytest_collection_modifyitems(config, items):
    has_pg = getattr(settings, "HAS_POSTGRES", False)
    has_redis = getattr(settings, "HAS_REDIS", False)
    required = getattr(settings, "REQUIRE_SERVICES", False)
    has_chromium = chromium_available()
    for item in items:
        if "postgres" in item.keywords and not has_pg:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL not reachable (set TWIN_REQUIRE_SERVICES=1 to fail)"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="Redis not reachable (set TWIN_REQUIRE_SERVICES=1 to fail)"))
        if "browser" in item.keywords and not has_chromium and not required:
            item.add_marker(pytest.mark.skip(reason="Chromium not installed (set TWIN_REQUIRE_SERVICES=1 to fail)"))
