"""Brokers fixtures (collected through the root conftest).

`stub_exchange` — a real stub exchange on a free loopback port, with settings pointed at it:

    def test_import(stub_exchange, coinbase_connection):
        stub_exchange.state.set_trade_count(1000)
        stub_exchange.state.fail_next(429, times=2, retry_after=0.01, path_contains="/fills")
        adapter = connection_adapter(connection=coinbase_connection)
        ...
        assert stored == stub_exchange.state.expected_fill_count("coinbase")

It also makes retries fast (BROKER_BACKOFF_BASE=0.01 s, Retry-After capped at 0.05 s) so injected
failures cost milliseconds.
"""
from __future__ import annotations

import factory
import pytest

from .models import BrokerConnection
from .stub import READ_ONLY_KEY, READ_ONLY_SECRET, StubExchange, StubState


@pytest.fixture
def stub_exchange(settings):
    """A running StubExchange (`.url`, `.state`); stopped after the test."""
    stub = StubExchange(state=StubState()).start()
    for name, value in stub.settings_overrides().items():
        setattr(settings, name, value)
    settings.STUB_EXCHANGE_EMBEDDED = False
    settings.BROKER_BACKOFF_BASE = 0.01
    settings.BROKER_BACKOFF_CAP = 0.05
    settings.BROKER_RETRY_AFTER_CAP = 0.05
    settings.BROKER_HTTP_TIMEOUT = 20.0  # generous: the machine may be busy; failures are injected, not waited for
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture
def coinbase_connection(stub_exchange, user) -> BrokerConnection:
    """An active Coinbase connection for `user`, linked through the stub's real OAuth + PKCE flow."""
    from .services import connection_link_stub

    return connection_link_stub(user=user, broker="coinbase")


@pytest.fixture
def binance_connection(stub_exchange, user) -> BrokerConnection:
    """An active Binance connection for `user` with the stub's read-only key."""
    from .services import connection_link_binance

    return connection_link_binance(user=user, api_key=READ_ONLY_KEY, api_secret=READ_ONLY_SECRET)


class BrokerConnectionFactory(factory.django.DjangoModelFactory):
    """A connection with sealed placeholder secrets (not usable against an exchange)."""

    class Meta:
        model = BrokerConnection
        skip_postgeneration_save = True

    user = factory.SubFactory("apps.accounts.testing.UserFactory")
    broker = "coinbase"
    status = "active"
    access_enc = b""

    @factory.post_generation
    def sealed(obj, create, extracted, **kwargs):
        from .services import connection_seal_tokens

        connection_seal_tokens(connection=obj, access=extracted or "placeholder-access", refresh="placeholder-refresh",
                               save=create)
