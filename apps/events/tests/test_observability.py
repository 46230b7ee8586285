"""The outbox in `/metrics` and `/readyz`: lag, waiting events, the relay's heartbeat and throughput."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.observability import health
from apps.core.observability.metrics import heartbeat_record
from apps.core.tests.test_observability_metrics import TOKEN, scrape
from apps.events.models import EventOutbox
from apps.events.observability import outbox_lag_ok
from apps.events.services import ALL_PARTITIONS, outbox_mark_delivered


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


@pytest.mark.django_db
def test_outbox_lag_is_the_age_of_the_oldest_unrelayed_event(client, metrics_on, user):
    assert scrape(client)[("twin_outbox_lag_seconds", ())] == 0
    now = timezone.now()
    EventOutbox.objects.create(user=user, type="test.ping", payload={}, ts=now - timedelta(seconds=40))
    EventOutbox.objects.create(user=user, type="test.ping", payload={}, ts=now - timedelta(seconds=90), seq=7)
    EventOutbox.objects.create(user=user, type="test.ping", payload={}, ts=now - timedelta(seconds=500), seq=3)
    outbox_mark_delivered(partitions=ALL_PARTITIONS, through=3)

    found = scrape(client)

    assert 90 <= found[("twin_outbox_lag_seconds", ())] < 120
    assert found[("twin_outbox_undelivered", ())] == 2


@pytest.mark.django_db
def test_readyz_reports_a_silent_relay_and_a_stuck_outbox_when_asked_to(client, settings, user, monkeypatch):
    monkeypatch.setattr(health, "_checks", {})
    settings.READYZ_RELAY_MAX_AGE = 30
    settings.READYZ_OUTBOX_MAX_LAG = 60
    health.readiness_check_register(name="relay", check=health.relay_alive)
    health.readiness_check_register(name="outbox", check=outbox_lag_ok)
    EventOutbox.objects.create(user=user, type="test.ping", payload={}, ts=timezone.now() - timedelta(seconds=300))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["down"] == ["outbox", "relay"]

    heartbeat_record(name="relay")
    EventOutbox.objects.update(seq=1)
    outbox_mark_delivered(partitions=ALL_PARTITIONS, through=1)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "cache": True, "broker": True, "relay": True,
                                         "outbox": True}


