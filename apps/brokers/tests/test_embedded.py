"""The embedded default: with STUB_EXCHANGE_EMBEDDED the app talks to an in-process stub, offline."""
from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.management import call_command

from apps.brokers.endpoints import broker_endpoints
from apps.brokers.models import BrokerConnection, Candle
from apps.brokers.services import connection_adapter
from apps.brokers.stub import embedded_stub, embedded_stub_stop

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def embedded(settings):
    settings.STUB_EXCHANGE_EMBEDDED = True
    try:
        yield
    finally:
        embedded_stub_stop()


def test_connect_coinbase_then_fetch_works_offline(embedded, api_client, user):
    endpoints = broker_endpoints()
    stub = embedded_stub()
    assert endpoints.coinbase_api == stub.url and stub.url.startswith("http://127.0.0.1:")
    assert endpoints.binance_api == f"{stub.url}/binance"

    redirect_url = api_client.post("/api/brokers/coinbase/connect/start").json()["redirectUrl"]
    approved = httpx.get(redirect_url, follow_redirects=False)
    location = urlsplit(approved.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == "http://testserver"  # back to this app, not a fixed host
    response = api_client.get(location.path, {k: v[0] for k, v in parse_qs(location.query).items()})
    assert response.status_code == 302

    connection = BrokerConnection.objects.get(user=user, broker="coinbase")
    adapter = connection_adapter(connection=connection)
    anchor = stub.state.anchor
    items, cursor = [], None
    while True:
        page = adapter.fetch_trades(since=anchor - timedelta(days=30), until=anchor + timedelta(days=1), cursor=cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(items) == stub.state.expected_fill_count("coinbase") == 300


def test_tokens_survive_a_restart_of_the_embedded_stub(embedded, user):
    from apps.brokers.services import connection_link_stub

    connection = connection_link_stub(user=user)
    embedded_stub_stop()  # as if the web process restarted: a new stub on a new port
    adapter = connection_adapter(connection=BrokerConnection.objects.get(id=connection.id))
    anchor = embedded_stub().state.anchor
    assert adapter.fetch_trades(since=anchor - timedelta(days=30), until=anchor + timedelta(days=1)).items


def test_backfill_against_embedded_stub(embedded):
    since = (embedded_stub().state.anchor - timedelta(days=40)).strftime("%Y-%m-%d")
    out = io.StringIO()
    call_command("backfill_candles", "--symbol", "BTC-USD", "--since", since, "--granularity", "1d", stdout=out)
    stored = Candle.objects.filter(symbol="BTC-USD", granularity="1d")
    assert stored.filter(ts__gte=since + "T00:00:00Z").count() == 40  # whole chunks are fetched: maybe more before
    assert out.getvalue() == f"BTC-USD 1d: {stored.count()} new candle(s)\n"
