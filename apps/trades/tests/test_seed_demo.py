"""`manage.py seed_demo`: the demo user's trades arrive through the real connect + import path, once."""
from io import StringIO

import pytest
from django.core.management import call_command

from apps.accounts.models import Audit, User
from apps.brokers.models import BrokerConnection
from apps.events.models import EventOutbox
from apps.trades.models import ImportJob, Trade

pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("scoring_handoff")]


def _snapshot():
    return (User.objects.count(), BrokerConnection.objects.count(), ImportJob.objects.count(), Trade.objects.count(),
            EventOutbox.objects.count(), Audit.objects.count())


def test_seed_demo_imports_through_the_stub_and_a_second_run_adds_nothing(stub_exchange):
    out = StringIO()
    call_command("seed_demo", "--trades", stdout=out)
    first = _snapshot()

    again = StringIO()
    call_command("seed_demo", "--trades", stdout=again)

    demo = User.objects.get(email="demo@twin.local")
    job = ImportJob.objects.get(user=demo)
    assert job.status == "done" and job.source == "api" and job.broker == "coinbase"
    assert Trade.objects.filter(user=demo).count() == job.inserted > 200
    assert BrokerConnection.objects.get(user=demo).status == "active"
    assert _snapshot() == first
    assert "Demo login: demo@twin.local / demo-trader-2026" in out.getvalue()
    assert "Demo login: demo@twin.local / demo-trader-2026" in again.getvalue()


def test_seed_demo_without_an_exchange_still_creates_the_login(settings):
    settings.STUB_EXCHANGE_EMBEDDED = False
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert User.objects.filter(email="demo@twin.local").count() == 1
    assert Trade.objects.count() == 0
    assert "Demo login: demo@twin.local / demo-trader-2026" in out.getvalue()


def test_seed_demo_keeps_going_when_the_exchange_is_unreachable(settings):
    settings.COINBASE_OAUTH_AUTHORIZE_URL = "http://127.0.0.1:9/oauth2/auth"
    settings.COINBASE_OAUTH_TOKEN_URL = "http://127.0.0.1:9/oauth2/token"
    settings.COINBASE_API_BASE = "http://127.0.0.1:9"
    settings.STUB_EXCHANGE_EMBEDDED = False
    out, err = StringIO(), StringIO()

    call_command("seed_demo", "--trades", stdout=out, stderr=err)

    assert "Demo trades were not imported" in err.getvalue()
    assert "Demo login: demo@twin.local / demo-trader-2026" in out.getvalue()
    assert Trade.objects.count() == 0
