"""Import and upload pages: login required, server-rendered, no inline script or style (strict CSP)."""
import re

import pytest
from django.test import Client

from apps.brokers.testing import BrokerConnectionFactory
from apps.trades.models import ImportJob

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def browser_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


@pytest.mark.parametrize("path", ["/import/", "/upload/"])
def test_pages_need_a_login(path):
    response = Client().get(path)

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_import_page_lists_connections_and_recent_jobs(browser_client, user, other_user):
    BrokerConnectionFactory(user=user, broker="coinbase")
    BrokerConnectionFactory(user=user, broker="binance", status="paused")
    BrokerConnectionFactory(user=other_user, broker="stub")
    ImportJob.objects.create(id="a" * 64, user=user, broker="coinbase", status="done", fetched=12, inserted=12)
    ImportJob.objects.create(id="b" * 64, user=other_user, broker="coinbase", status="failed", error="theirs")

    response = browser_client.get("/import/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="coinbase">' in html.replace("\n", "").replace("  ", "")
    assert 'value="binance" disabled' in html
    assert 'value="stub"' not in html
    assert 'data-job-id="' + "a" * 64 + '"' in html and "b" * 64 not in html and "theirs" not in html
    assert "/static/js/import.js" in html
    _no_inline_code(html)


def test_import_page_without_connections_points_to_connect_and_upload(browser_client):
    html = browser_client.get("/import/").content.decode()

    assert 'id="import-no-connection"' in html and 'href="/upload/"' in html
    _no_inline_code(html)


def test_upload_page_offers_saved_mappings(browser_client, user, other_user):
    from apps.trades.models import ColumnMappingPreset

    ColumnMappingPreset.objects.create(user=user, name="kraken", mapping={"timestamp": "t"})
    ColumnMappingPreset.objects.create(user=other_user, name="secret-source", mapping={"timestamp": "t"})

    response = browser_client.get("/upload/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="kraken">kraken</option>' in html and "secret-source" not in html
    assert 'data-max-bytes="10485760"' in html
    assert "/static/js/import.js" in html and "/static/js/upload.js" in html
    _no_inline_code(html)
    assert "script-src 'self'" in response["Content-Security-Policy"]
