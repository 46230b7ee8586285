"""A newcomer's first run: the embedded default (twin.settings.local on SQLite, in-process jobs, demo data)
answers every page and every read endpoint of the demo user without a server error, and the actions a new
user tries first (a simulation, a rules back-test, a pre-trade intent, a journal entry, an export) work.
Whatever PostgreSQL answers in one statement must have a path here too."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", "--noinput", verbosity=0)
call_command("seed_demo", verbosity=0)
from django.contrib.auth import get_user_model
from django.test import Client
from apps.trades.models import Trade
user = get_user_model().objects.get(email="demo@twin.local")
client = Client()
client.force_login(user)
trades = Trade.objects.filter(user=user).order_by("ts")
buy, sell = trades.filter(side__iexact="BUY").first(), trades.filter(side__iexact="SELL").first()
seen = {}
gets = ["/dashboard/", "/trades/", f"/trades/{buy.pk}/", "/positions/", "/coach/", "/labels/", "/rules/",
        "/rules/calibration/", "/import/", "/upload/", "/connections/", "/account/", "/digest/", "/analytics/",
        "/intents/", "/intents/new", "/journal/",
        "/api/auth/me", "/api/events", "/api/brokers/connections", "/api/trades", "/api/trades/import",
        f"/api/trades/{buy.pk}", f"/api/trades/{buy.pk}/bias", f"/api/trades/{buy.pk}/chart", "/api/bias/trades",
        "/api/positions", "/api/bias/summary", "/api/rules", "/api/rules/calibration", "/api/digests",
        "/api/analytics/summary", "/api/analytics/summary?currency=USD", "/api/analytics/equity",
        "/api/analytics/calendar", "/api/analytics/excursions", "/api/account/data", "/api/cooldowns/active",
        "/api/personas", "/api/journal-entries", "/api/rule-streaks", "/api/pretrade-intents",
        "/api/trades/mappings"] + [f"/api/analytics/breakdown?by={by}" for by in
                                   ("hour", "weekday", "symbol", "label", "broker")]
for url in gets:
    seen["GET " + url] = client.get(url).status_code
posts = [("/api/simulations/simple", {"tradeId": buy.pk, "horizonDays": 1}),
         ("/api/simulations/simple", {"tradeId": sell.pk, "horizonDays": 2, "pullbackPct": 1}),
         ("/api/simulations/rules", {"since": buy.ts.isoformat(), "until": trades.last().ts.isoformat()}),
         ("/api/pretrade-intents", {"symbol": buy.symbol, "direction": "long", "timeframe": "1h",
                                    "size": {"qty": "0.01"}, "plan": {"entry": "100", "thesis": "A retest."}}),
         ("/api/journal-entries", {"type": "note", "content": {"text": "Calm today."}}),
         ("/api/account/export", {})]
answers = {}
for url, body in posts:
    response = client.post(url, body, content_type="application/json")
    seen["POST " + url + " " + json.dumps(body)] = response.status_code
    answers.setdefault(url, []).append(response.json())
print(json.dumps({"seen": seen, "simulations": answers["/api/simulations/simple"],
                  "trades": trades.count()}))
"""


def test_the_embedded_default_answers_a_new_users_tour_without_a_server_error(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "TEST_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "twin.settings.local",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}"})
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-4000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["trades"] > 0
    failed = {what: status for what, status in report["seen"].items() if status >= 400}
    assert failed == {}
    for answer in report["simulations"]:
        assert answer["status"] == "done", (answer, out.stderr[-3000:])
        assert {"actual", "hold", "waitPullback"} <= set(answer)
        assert answer["hold"]["curve"], answer["hold"]
