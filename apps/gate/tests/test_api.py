"""The intent API end to end on PostgreSQL: submit, the gate job, decisions from hand-built states,
contract failures, idempotency, tasks, overrides, history."""
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.accounts.models import Audit
from apps.bias.services import rule_upsert
from apps.brokers.models import Candle
from apps.events.models import EventOutbox
from apps.gate.models import Cooldown, Override, PretradeIntent
from apps.gate.selectors import market_state
from apps.gate.services import intent_submit
from apps.trades.testing import TradeFactory

from .conftest import intent_body, losing_exits

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def events(user) -> list[tuple[str, dict]]:
    return [(e.type, e.payload) for e in EventOutbox.objects.filter(user=user).order_by("ts", "id")]


def test_submit_answers_202_and_the_gate_decides_go(api_client, user, submit):
    response = submit(intent_body())
    assert response.status_code == 202
    intent_id = response.json()["intentId"]
    intent = PretradeIntent.objects.get(id=intent_id)
    assert (intent.status, intent.decision, intent.persona, intent.reasons, intent.until) == ("done", "GO", "crypto", [], None)
    assert intent.plan == {"entry": "100", "stop": "95", "target": "115",
                           "thesis": "Range low holds; I wrote this plan at noon."}
    assert intent.size == {"qty": "0.5"} and intent.context == {"capital": "1000", "mood": "calm"}
    [(t1, submitted), (t2, decided)] = events(user)
    assert (t1, t2) == ("pretrade.intent.submitted", "pretrade.decision.returned")
    assert submitted == {"intentId": intent_id, "symbol": "BTC-USD", "direction": "long", "timeframe": "4h",
                         "submittedAt": intent.created_at.isoformat()}
    assert decided == {"intentId": intent_id, "symbol": "BTC-USD", "direction": "long", "decision": "GO",
                       "reasons": [], "until": None, "tasks": [], "persona": "crypto",
                       "decidedAt": intent.decided_at.isoformat()}
    detail = api_client.get(f"/api/pretrade-intents/{intent_id}").json()
    assert (detail["decision"], detail["status"], detail["linkedTrade"], detail["override"]) == ("GO", "done", None, None)
    assert detail["summary"] == "Your checks passed: the plan, your rules and the market state raised nothing."
    market = {c["code"]: c["status"] for c in detail["checks"]}
    assert market["market_fomo"] == "not_evaluable"  # no stored candles and no fetch: said, not guessed


@pytest.mark.parametrize(("body", "fields"), [
    (intent_body(plan={"stop": "95", "thesis": "x"}), {"$.plan.entry": ["This field is required."]}),
    (intent_body(direction="up"), {"$.direction": ["'up' is not one of ['long', 'short']"]}),
    (intent_body(size={"qty": "1", "quoteAmount": "100"}), {"$.size": ["Give exactly one of qty or quoteAmount."]}),
    (intent_body(extra=1), {"$.extra": ["Not a field of this contract."]}),
    (intent_body(symbol="BTC USD"), {"$.symbol": ["A market as BASE-QUOTE, e.g. BTC-USD."]}),
    (intent_body(plan={"entry": "0", "thesis": "x"}), {"$.plan.entry": ["Must be greater than zero."]}),
    (intent_body(plan={"entry": "1e5", "thesis": "x"}), {"$.plan.entry": ["'1e5' is not valid under any of the given schemas"]}),
    ([1, 2], {"$": ["[1, 2] is not of type 'object'"]}),
])
def test_a_body_breaking_the_contract_is_a_400_naming_the_json_path_and_writes_nothing(user, submit, body, fields):
    response = submit(body)
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid", "message": response.json()["error"]["message"],
                                         "fields": fields}}
    assert PretradeIntent.objects.count() == 0
    assert EventOutbox.objects.count() == 0


def test_text_that_cannot_be_stored_is_refused_before_the_contract(user, submit):
    response = submit(intent_body(plan={"entry": "100", "thesis": "a\x00b"}))
    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")
    assert PretradeIntent.objects.count() == 0 and EventOutbox.objects.count() == 0


def test_idempotency_key_answers_the_same_intent_and_refuses_another_body(user, submit):
    first = submit(intent_body(), key="intent-1")
    again = submit(intent_body(), key="intent-1")
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert PretradeIntent.objects.count() == 1
    assert EventOutbox.objects.filter(type="pretrade.intent.submitted").count() == 1
    other = submit(intent_body(direction="short"), key="intent-1")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert PretradeIntent.objects.count() == 1
    assert EventOutbox.objects.count() == 2  # submitted + decision of the first


def test_active_cooldown_makes_every_intent_wait_with_tasks(user, submit):
    now = timezone.now()
    cooldown = Cooldown.objects.create(user=user, reason="breach", trigger_key="t", message="m", evidence={},
                                       starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3))
    intent = PretradeIntent.objects.get(id=submit(intent_body()).json()["intentId"])
    assert intent.decision == "WAIT"
    assert intent.until == cooldown.ends_at
    assert [r["code"] for r in intent.reasons] == ["cooldown_active"]
    assert [t["kind"] for t in intent.tasks] == ["journal_pre", "wait"]


def test_trade_limit_from_the_users_own_rule_is_no_go(user, submit, monkeypatch):
    rule_upsert(user=user, kind="maxTradesPerDay", params={"count": 2})
    # The clock stands at noon: run just after midnight, "one second ago" would be yesterday, and a decision
    # made after a midnight the test ran across would start a new day.
    now = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    day_start = now.replace(hour=0)
    TradeFactory(user=user, ts=now - timedelta(minutes=5))
    TradeFactory(user=user, ts=now - timedelta(seconds=1))
    TradeFactory(user=user, ts=day_start - timedelta(minutes=1))  # yesterday does not count
    intent = PretradeIntent.objects.get(id=submit(intent_body()).json()["intentId"])
    assert intent.decision == "NO_GO"
    assert [r["code"] for r in intent.reasons] == ["max_trades_per_day"]
    assert intent.reasons[0]["evidence"] == {"value": 3, "threshold": 2}


def test_losing_streak_waits_and_starts_one_cooldown_with_the_decision(user, submit):
    losses = losing_exits(user, 3, last_hours_ago=1)
    first = PretradeIntent.objects.get(id=submit(intent_body()).json()["intentId"])
    assert first.decision == "WAIT"
    assert [r["code"] for r in first.reasons] == ["loss_streak"]
    [cooldown] = Cooldown.objects.all()
    assert (cooldown.reason, cooldown.trigger_key) == ("losses", f"losses:{losses[-1].id}")
    assert cooldown.ends_at == losses[-1].ts + timedelta(hours=12) == first.until
    second = PretradeIntent.objects.get(id=submit(intent_body()).json()["intentId"])
    assert [r["code"] for r in second.reasons] == ["cooldown_active", "loss_streak"]
    assert Cooldown.objects.count() == 1
    assert EventOutbox.objects.filter(type="cooldown.started").count() == 1
    started = EventOutbox.objects.get(type="cooldown.started")
    decided = EventOutbox.objects.filter(type="pretrade.decision.returned").order_by("ts").first()
    assert started.ts < decided.ts and started.payload["cooldownId"] == cooldown.id


def test_size_above_the_stated_risk_is_size_down(user, submit):
    intent = PretradeIntent.objects.get(id=submit(intent_body(size={"quoteAmount": "500"})).json()["intentId"])
    # 5 units × 5 at risk = 25 = 2.5% of the stated 1000 > the stated 1%
    assert intent.decision == "SIZE_DOWN"
    assert intent.reasons[0]["evidence"] == {"value": 2.5, "threshold": 1.0}


def test_reward_under_the_persona_minimum_asks_to_simulate(user, submit):
    body = intent_body(plan={"entry": "100", "stop": "95", "target": "104", "thesis": "Quick scalp."})
    intent = PretradeIntent.objects.get(id=submit(body).json()["intentId"])
    assert (intent.decision, [r["code"] for r in intent.reasons]) == ("SIMULATE", ["risk_reward_low"])
    assert intent.reasons[0]["evidence"] == {"value": 0.8, "threshold": 1.5}
    simulate = next(t for t in intent.tasks if t["kind"] == "simulate")
    assert simulate["payload"]["endpoint"] == "/api/simulations/simple"
    assert simulate["payload"]["body"] == {"symbol": "BTC-USD", "horizonDays": 7}
    assert intent.until is None


def test_market_state_comes_from_candles_the_gate_job_fetched(user, submit, stub_exchange, settings):
    settings.GATE_FETCH_CANDLES = True
    assert Candle.objects.count() == 0
    intent = PretradeIntent.objects.get(id=submit(intent_body()).json()["intentId"])
    assert Candle.objects.filter(symbol="BTC-USD", granularity="1h").count() > 72
    checks = {c["code"]: c for c in intent.checks}
    assert checks["market_fomo"]["status"] in ("passed", "fired")
    assert checks["spike_over_rule"]["status"] in ("passed", "fired")
    market = market_state(symbol="BTC-USD", now=intent.decided_at, lookback_hours=24, spike_hours=24)
    assert checks["spike_over_rule"]["evidence"]["value"] == round(market.spike_change_pct, 2)
    assert checks["market_fomo"]["evidence"]["value"] == (
        f"move {market.change_pct:.2f}%, RSI {market.rsi:.1f}, %B {market.bb_pos:.2f}")


def test_history_pages_newest_first_and_is_private(api_client, other_api_client, user, submit):
    ids = [submit(intent_body()).json()["intentId"] for _ in range(3)]
    first = api_client.get("/api/pretrade-intents?limit=2").json()
    assert [r["id"] for r in first["results"]] == ids[::-1][:2]
    second = api_client.get(f"/api/pretrade-intents?limit=2&cursor={first['nextCursor']}").json()
    assert [r["id"] for r in second["results"]] == [ids[0]] and second["nextCursor"] is None
    assert other_api_client.get("/api/pretrade-intents").json() == {"results": [], "nextCursor": None}
    missing = other_api_client.get(f"/api/pretrade-intents/{ids[0]}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api_client.get("/api/pretrade-intents?cursor=%%%").status_code == 400


def test_friction_tasks_are_completed_by_the_user(api_client, user, submit):
    losing_exits(user, 3)
    intent_id = submit(intent_body()).json()["intentId"]
    empty = api_client.post(f"/api/pretrade-intents/{intent_id}/tasks/journal_pre", {}, format="json")
    assert empty.status_code == 400
    done = api_client.post(f"/api/pretrade-intents/{intent_id}/tasks/journal_pre",
                           {"text": "I expect a retest; a close under the range proves me wrong."}, format="json")
    assert done.status_code == 200
    task = next(t for t in done.json()["tasks"] if t["ctaId"] == "journal_pre")
    assert task["status"] == "done"
    assert task["payload"]["text"] == "I expect a retest; a close under the range proves me wrong."
    assert api_client.post(f"/api/pretrade-intents/{intent_id}/tasks/nope", {}, format="json").status_code == 404
    # the note is sealed with the user's data key: neither the row nor any event holds it in clear
    with connection.cursor() as cursor:
        cursor.execute("SELECT tasks::text FROM gate_pretradeintent WHERE id = %s", [intent_id])
        stored = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(string_agg(payload::text, ''), '') FROM events_eventoutbox WHERE user_id = %s",
                       [user.id])
        pushed = cursor.fetchone()[0]
    assert "retest" not in stored and "textSealed" in stored
    assert "retest" not in pushed
    again = api_client.get(f"/api/pretrade-intents/{intent_id}").json()
    assert next(t for t in again["tasks"] if t["ctaId"] == "journal_pre")["payload"]["text"] == task["payload"]["text"]
    listed = api_client.get("/api/pretrade-intents").json()["results"][0]
    assert "textSealed" not in next(t for t in listed["tasks"] if t["ctaId"] == "journal_pre")["payload"]
    # the account export carries the note opened for its owner, never the seal
    from apps.gate.userdata import intent_opened

    exported = intent_opened(PretradeIntent.objects.filter(id=intent_id).values().get())
    exported_task = next(t for t in exported["tasks"] if t["ctaId"] == "journal_pre")
    assert exported_task["payload"]["text"] == task["payload"]["text"] and "textSealed" not in exported_task["payload"]


def test_today_is_the_users_day_in_their_time_zone(user):
    from apps.gate.selectors import gate_state, user_policy

    user.timezone = "America/New_York"  # UTC−5 in November
    user.save(update_fields=["timezone"])
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 19 Nov, 22:00 in New York
    TradeFactory(user=user, ts=now - timedelta(hours=21))  # 19 Nov 06:00 UTC = 01:00 New York: today
    TradeFactory(user=user, ts=now - timedelta(hours=2))  # 20 Nov 01:00 UTC = 20:00 New York: today
    TradeFactory(user=user, ts=now - timedelta(hours=23))  # 19 Nov 04:00 UTC = 23:00 on the 18th: yesterday
    state = gate_state(user=user, symbol="BTC-USD", policy=user_policy(user=user), now=now)
    assert state.trades_today == 2  # a UTC day (from 20 Nov 00:00 UTC) would count 1


OVERRIDE = {"rationale": "My plan was written before the streak and the stop is fixed.",
            "riskStatement": "I accept losing the 2.5 I put at risk.", "safeguards": ["Stop order placed", "Half size"]}


def test_override_of_a_wait_is_recorded_audited_and_acknowledged(api_client, user, submit):
    losing_exits(user, 3)
    intent_id = submit(intent_body()).json()["intentId"]
    response = api_client.post(f"/api/pretrade-intents/{intent_id}/override", OVERRIDE, format="json")
    assert response.status_code == 201
    body = response.json()
    override = Override.objects.get()
    assert body == {"id": override.id, "decision": "WAIT", "status": "acknowledged", "rationale": OVERRIDE["rationale"],
                    "riskStatement": OVERRIDE["riskStatement"], "safeguards": OVERRIDE["safeguards"],
                    "createdAt": body["createdAt"], "resolvedAt": body["resolvedAt"]}
    requested, resolved = (EventOutbox.objects.filter(type__startswith="pretrade.override").order_by("ts"))
    assert requested.type == "pretrade.override.requested" and resolved.type == "pretrade.override.resolved"
    assert resolved.payload == {"intentId": intent_id, "overrideId": override.id, "status": "acknowledged",
                                "resolvedAt": override.resolved_at.isoformat()}
    audit = Audit.objects.get(action="pretrade_override")
    assert audit.meta == {"intentId": intent_id, "overrideId": override.id, "decision": "WAIT", "reasons": ["loss_streak"]}
    again = api_client.post(f"/api/pretrade-intents/{intent_id}/override", OVERRIDE, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_overridden")
    assert Override.objects.count() == 1
    detail = api_client.get(f"/api/pretrade-intents/{intent_id}").json()
    assert detail["override"]["status"] == "acknowledged"


def test_override_rules_go_is_409_short_rationale_400_others_404(api_client, other_api_client, user, submit):
    go_id = submit(intent_body()).json()["intentId"]
    before = EventOutbox.objects.count()
    go = api_client.post(f"/api/pretrade-intents/{go_id}/override", OVERRIDE, format="json")
    assert (go.status_code, go.json()["error"]["code"]) == (409, "not_overridable")
    short = api_client.post(f"/api/pretrade-intents/{go_id}/override", {**OVERRIDE, "rationale": "because"},
                            format="json")
    assert short.status_code == 400
    assert list(short.json()["error"]["fields"]) == ["$.rationale"]
    missing = api_client.post(f"/api/pretrade-intents/{go_id}/override", {"rationale": OVERRIDE["rationale"]},
                              format="json")
    assert set(missing.json()["error"]["fields"]) == {"$.riskStatement", "$.safeguards"}
    assert other_api_client.post(f"/api/pretrade-intents/{go_id}/override", OVERRIDE,
                                 format="json").status_code == 404
    assert Override.objects.count() == 0 and not Audit.objects.filter(action="pretrade_override").exists()
    assert EventOutbox.objects.count() == before


def test_contracts_are_served_with_every_version(client):
    body = client.get("/api/contracts/").json()
    names = {(c["kind"], c["name"]) for c in body["results"]}
    assert ("requests", "pretrade-intent") in names and ("events", "pretrade.decision.returned") in names
    intent = next(c for c in body["results"] if c["name"] == "pretrade-intent")
    assert (intent["version"], intent["current"], intent["accepts"]) == (1, 1, [1])
    assert intent["schema"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    single = client.get(intent["url"])
    assert single.status_code == 200 and single.json() == intent["schema"]
    assert client.get("/api/contracts/events/nope/v1").status_code == 404


def test_decimal_inputs_are_kept_exact(user, submit):
    body = intent_body(size={"qty": "0.000000000000000001"},
                       plan={"entry": "64123.123456789012345678", "stop": "64000.5", "thesis": "t"})
    intent = PretradeIntent.objects.get(id=submit(body).json()["intentId"])
    assert intent.size == {"qty": "0.000000000000000001"}
    assert Decimal(intent.plan["entry"]) == Decimal("64123.123456789012345678")


def test_persona_is_chosen_on_the_account_page_and_changes_the_policy(client, api_client, user, submit):
    client.force_login(user)
    page = client.get("/account/")
    assert page.status_code == 200 and b'id="account-persona"' in page.content
    assert client.post("/account/persona", {"persona": "nonsense"}).status_code == 302
    user.refresh_from_db()
    assert user.persona == "crypto"
    assert client.post("/account/persona", {"persona": "indexdca"}).status_code == 302
    user.refresh_from_db()
    assert user.persona == "indexdca"
    assert Audit.objects.filter(action="preferences_changed", meta={"persona": "indexdca"}).count() == 1
    intent = PretradeIntent.objects.get(id=submit(intent_body(plan={"entry": "100", "thesis": "monthly buy"})).json()["intentId"])
    assert (intent.persona, intent.decision) == ("indexdca", "GO")  # no stop asked of a DCA plan
    assert client.get("/api/auth/me").json()["persona"] == "indexdca"
    patched = api_client.patch("/api/auth/preferences", {"persona": "swing"}, format="json")
    assert (patched.status_code, patched.json()["persona"]) == (200, "swing")
    refused = api_client.patch("/api/auth/preferences", {"persona": "yolo"}, format="json")
    assert refused.status_code == 400 and "persona" in refused.json()["error"]["fields"]


def test_pages_render_for_the_user(client, user, submit):
    client.force_login(user)
    assert client.get("/intents/new").status_code == 200
    submit(intent_body())
    history = client.get("/intents/")
    assert history.status_code == 200 and b"BTC-USD" in history.content


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_with_one_key_make_one_intent(user):
    barrier = threading.Barrier(2)
    answers: list[tuple[str, bool]] = []

    def post() -> None:
        try:
            barrier.wait()
            intent, created = intent_submit(user=user, data=intent_body(), idempotency_key="same-key")
            answers.append((intent.id, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 2 and answers[0][0] == answers[1][0]
    assert sorted(created for _, created in answers) == [False, True]
    assert PretradeIntent.objects.count() == 1
    assert EventOutbox.objects.filter(type="pretrade.intent.submitted").count() == 1
