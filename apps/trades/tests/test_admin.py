"""Ops view: trades searchable, import jobs filterable by status (parked = dead letters) and releasable."""
import pytest
from django.test import Client

from apps.accounts.testing import UserFactory
from apps.events.models import EventOutbox
from apps.trades.models import ImportJob
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def admin_client(db) -> Client:
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def test_trade_admin_searches_by_ext_id_and_filters(admin_client, user):
    TradeFactory(user=user, ext_id="needle-1", symbol="ETH-USD")
    TradeFactory(user=user, ext_id="hay-2")

    found = admin_client.get("/admin/trades/trade/", {"q": "needle"})
    filtered = admin_client.get("/admin/trades/trade/", {"symbol": "ETH-USD", "side__exact": "BUY"})

    assert found.status_code == 200 and "needle-1" in found.content.decode() and "hay-2" not in found.content.decode()
    assert filtered.status_code == 200


def test_parked_jobs_are_listed_read_only_and_can_be_released(admin_client, user, django_capture_on_commit_callbacks):
    parked = ImportJob.objects.create(id="p" * 64, user=user, broker="coinbase", status="parked", attempts=3,
                                      error="Coinbase did not answer after 5 attempts (HTTP 500).")
    ImportJob.objects.create(id="d" * 64, user=user, broker="coinbase", status="done")

    listing = admin_client.get("/admin/trades/importjob/", {"status__exact": "parked"})
    detail = admin_client.get(f"/admin/trades/importjob/{parked.id}/change/")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        released = admin_client.post("/admin/trades/importjob/", {"action": "release_parked",
                                                                  "_selected_action": [parked.id]})

    assert listing.status_code == 200
    assert "p" * 64 in listing.content.decode() and "d" * 64 not in listing.content.decode()
    assert detail.status_code == 200 and "HTTP 500" in detail.content.decode()
    assert 'name="fetched"' not in detail.content.decode()  # counts are read-only
    assert released.status_code == 302
    parked.refresh_from_db()
    assert (parked.status, parked.attempts, parked.error) == ("queued", 0, "")
    assert len(queued) == 1
    assert EventOutbox.objects.filter(user=user, type="import.progress").count() == 1
