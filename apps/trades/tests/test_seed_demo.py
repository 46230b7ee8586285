"""`manage.py seed_demo`: the demo user's trades arrive through the real connect + import path, once."""
import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
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


SEED_WHILE_THE_POOL_SCORES = r"""
import json, time, django
django.setup()
from django.core.management import call_command
call_command("migrate", "--noinput", verbosity=0)
import apps.trades.management.commands.seed_demo as seed
from apps.bias.models import BiasTag, ScoringRun
from apps.trades.models import Trade
run_pending, seen = seed.jobs_run_pending, []

def once_the_pool_runs_it(**filters):  # the command's own runner comes second: the pool took the hand-off
    deadline = time.monotonic() + 60
    while not ScoringRun.objects.filter(status__in=("running", "done")).exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    seen.extend(ScoringRun.objects.values_list("status", flat=True))
    return run_pending(**filters)

seed.jobs_run_pending = once_the_pool_runs_it
call_command("seed_demo", verbosity=0)
print(json.dumps({"seen": seen, "open": ScoringRun.objects.exclude(status="done").count(),
                  "trades": Trade.objects.count(),
                  "tagged": BiasTag.objects.values("trade_id").distinct().count()}))
"""


def test_on_the_embedded_default_the_seed_returns_only_once_the_demo_is_labelled(tmp_path):
    """The import hands scoring off on commit to the in-process pool; the seed's own runner then finds no
    queued job, and must wait for the running one rather than return with the demo unlabelled."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "TEST_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "twin.settings.local",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}"})
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, "-c", SEED_WHILE_THE_POOL_SCORES], cwd=settings.BASE_DIR, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-4000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])

    assert report["seen"] == ["running"]  # the case under test: the pool held the scoring run
    assert report["open"] == 0
    assert report["trades"] > 200 and report["tagged"] == report["trades"]
