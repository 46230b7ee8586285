"""GET /api/rules and POST /api/rules/upsert: idempotent by kind, params validated per kind."""
import pytest

from apps.bias.models import Rule
from apps.core.testing import csrf_token_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SPIKE = {"kind": "avoidSpikeOverPct", "params": {"pct": 5, "lookbackHours": 24}, "active": True}


def test_upsert_creates_then_is_idempotent_by_kind(api_client, user):
    first = api_client.post("/api/rules/upsert", SPIKE, format="json")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["kind"] == "avoidSpikeOverPct"
    assert body["params"] == {"pct": 5.0, "lookbackHours": 24}
    assert body["active"] is True

    again = api_client.post("/api/rules/upsert", SPIKE, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Rule.objects.filter(user=user).count() == 1

    changed = api_client.post("/api/rules/upsert", {**SPIKE, "params": {"pct": 8.5, "lookbackHours": 6},
                                                    "active": False}, format="json")
    assert changed.status_code == 200
    rule = Rule.objects.get(user=user)
    assert rule.id == body["id"]
    assert rule.params == {"pct": 8.5, "lookbackHours": 6}
    assert rule.active is False


def test_list_shows_only_own_rules(api_client, other_api_client, user):
    other_api_client.post("/api/rules/upsert", {"kind": "minHoldHours", "params": {"hours": 4}}, format="json")
    api_client.post("/api/rules/upsert", SPIKE, format="json")
    response = api_client.get("/api/rules")
    assert response.status_code == 200
    body = response.json()
    assert body["nextCursor"] is None
    assert [(r["kind"], r["params"]) for r in body["results"]] == [("avoidSpikeOverPct", {"pct": 5.0, "lookbackHours": 24})]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "buyTheDip", "params": {}}, "kind"),
        ({"kind": "minHoldHours", "params": {}}, "params.hours"),
        ({"kind": "minHoldHours", "params": {"hours": "soon"}}, "params.hours"),
        ({"kind": "minHoldHours", "params": {"hours": -2}}, "params.hours"),
        ({"kind": "minHoldHours", "params": {"hours": True}}, "params.hours"),
        ({"kind": "minHoldHours", "params": {"hours": 4, "extra": 1}}, "params.extra"),
        ({"kind": "avoidSpikeOverPct", "params": {"pct": 5, "lookbackHours": 2.5}}, "params.lookbackHours"),
        ({"kind": "avoidSpikeOverPct", "params": {"pct": 500, "lookbackHours": 24}}, "params.pct"),
        ({"kind": "maxTradesPerDay", "params": {"count": 0}}, "params.count"),
        ({"kind": "minHoldHours", "params": [4]}, "params"),
        ({"kind": "maxLossPerDay", "params": {}}, "params.amount"),
        ({"kind": "maxLossPerDay", "params": {"amount": 0}}, "params.amount"),
        ({"kind": "maxLossPerDay", "params": {"amount": "a lot"}}, "params.amount"),
        ({"kind": "stopLossPct", "params": {"pct": 0}}, "params.pct"),
        ({"kind": "stopLossPct", "params": {"pct": 100}}, "params.pct"),
    ],
)
def test_invalid_rules_answer_400_with_fields_and_write_nothing(api_client, user, payload, field):
    response = api_client.post("/api/rules/upsert", payload, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert Rule.objects.count() == 0


def test_upsert_needs_csrf_and_login(csrf_client, user):
    from apps.accounts.testing import DEFAULT_PASSWORD

    anonymous = csrf_client.get("/api/rules")
    assert anonymous.status_code in (401, 403)
    csrf_client.login(email=user.email, password=DEFAULT_PASSWORD)
    no_token = csrf_client.post("/api/rules/upsert", SPIKE, format="json")
    assert no_token.status_code == 403
    token = csrf_token_for(csrf_client)
    ok = csrf_client.post("/api/rules/upsert", SPIKE, format="json", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 201
    assert Rule.objects.filter(user=user).count() == 1


def test_daily_loss_limit_and_stop_rules_can_be_set_and_reach_the_gate(api_client, user):
    from apps.gate.selectors import user_policy

    for payload in ({"kind": "maxLossPerDay", "params": {"amount": "150.50"}, "active": True},
                    {"kind": "stopLossPct", "params": {"pct": 6}, "active": True}):
        assert api_client.post("/api/rules/upsert", payload, format="json").status_code in (200, 201)
    listed = {r["kind"]: r["params"] for r in api_client.get("/api/rules").json()["results"]}
    assert listed == {"maxLossPerDay": {"amount": 150.5}, "stopLossPct": {"pct": 6.0}}
    rules = user_policy(user=user).rules
    assert rules["maxLossPerDay"] == {"amount": 150.5} and rules["stopLossPct"] == {"pct": 6.0}


def test_the_rules_page_offers_the_new_kinds(client, user):
    client.force_login(user)
    page = client.get("/rules/").content.decode()
    assert 'data-kind="maxLossPerDay"' in page and 'data-kind="stopLossPct"' in page
