from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.events.testing import append_committed, relay_drain

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    admin = User.objects.create_superuser("ops@example.com", "an-operator-passphrase-7")
    client = Client()
    client.force_login(admin)
    return client


def test_outbox_admin_lists_and_filters_read_only(admin_client, user):
    [delivered] = append_committed(user=user, count=1, type="coach.reflect")
    relay_drain()
    [waiting] = append_committed(user=user, count=1, type="import.progress")
    listing = admin_client.get("/admin/events/eventoutbox/")
    assert listing.status_code == 200
    assert delivered in listing.content.decode() and waiting in listing.content.decode()
    only_waiting = admin_client.get("/admin/events/eventoutbox/?delivered=no").content.decode()
    assert waiting in only_waiting and delivered not in only_waiting
    by_type = admin_client.get("/admin/events/eventoutbox/?type=coach.reflect").content.decode()
    assert delivered in by_type and waiting not in by_type
    detail = admin_client.get(f"/admin/events/eventoutbox/{waiting}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert admin_client.get("/admin/events/eventoutbox/add/").status_code == 403
