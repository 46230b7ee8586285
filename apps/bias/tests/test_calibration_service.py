"""Personal calibration end to end: `rescore --calibrated`, the lines each tag records, revert and apply."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from apps.bias.engine.calibration import CALIBRATION_KIND
from apps.bias.engine.heuristics import DEFAULT_THRESHOLDS
from apps.bias.models import BiasTag, Rule
from apps.bias.services import bias_score_trades
from apps.trades.testing import TradeFactory

from .conftest import bar_close

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def round_trips(stub, user, count: int) -> list:
    """`count` trades alternating entry and exit on BTC-USD, 5 hours apart over the last days."""
    anchor = stub.state.anchor
    trades = []
    for k in range(count):
        ts = anchor - timedelta(days=9) + timedelta(hours=5 * k, minutes=11)
        trades.append(TradeFactory(user=user, symbol="BTC-USD", side="BUY" if k % 2 == 0 else "SELL",
                                   qty=Decimal("0.1"), price=bar_close(stub, "BTC-USD", ts), fee=Decimal("0.1"), ts=ts))
    return trades


def sources(user) -> set[str]:
    return {t.features["thresholds"]["source"] for t in BiasTag.objects.filter(trade__user=user)}


def test_rescore_calibrated_calibrates_and_relabels_with_the_users_lines(user, stub_exchange, capsys):
    trades = round_trips(stub_exchange, user, 36)
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    assert sources(user) == {"default"}

    call_command("rescore", "--user", user.email, "--calibrated")
    out = capsys.readouterr().out
    rule = Rule.objects.get(user=user, kind=CALIBRATION_KIND)
    assert rule.active and rule.params["scored_trades"] == 36
    assert f"{user.email}: calibrated from 36 trades" in out
    used = {k: v["value"] for k, v in rule.params["thresholds"].items()}
    assert sources(user) == {"calibrated"}
    assert {tuple(sorted(t.features["thresholds"]["values"].items())) for t in BiasTag.objects.filter(trade__user=user)} == {
        tuple(sorted(used.items()))}
    assert used != DEFAULT_THRESHOLDS  # 36 trades in a quiet market move at least one line

    client = Client()
    client.force_login(user)
    page = client.get("/rules/calibration/").content.decode()
    assert "Your calibrated lines are in use (from 36 scored trades" in page
    assert "Go back to the default lines" in page

    # revert: the defaults are used again, the calibration is kept, re-scoring relabels with the defaults
    response = client.post("/rules/calibration/", {"calibration": "revert", "next": "/rules/"})
    assert response.status_code == 302 and response["Location"] == "/rules/"
    assert Rule.objects.get(user=user, kind=CALIBRATION_KIND).active is False
    call_command("rescore", "--user", user.email)
    assert sources(user) == {"default"}
    assert "Apply my calibrated lines" in client.get("/rules/calibration/").content.decode()

    # and back again through the API
    api = client.post("/api/rules/calibration", {"active": True}, content_type="application/json")
    assert api.status_code == 200 and api.json()["active"] is True
    assert [line["inUse"] for line in api.json()["lines"]] == [used[name] for name in DEFAULT_THRESHOLDS]


def test_fewer_than_thirty_scored_trades_keep_the_defaults(user, stub_exchange, capsys):
    trades = round_trips(stub_exchange, user, 29)
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    call_command("rescore", "--user", user.email, "--calibrated")
    assert f"{user.email}: fewer than 30 scored trades, the default lines stay." in capsys.readouterr().out
    assert not Rule.objects.filter(user=user, kind=CALIBRATION_KIND).exists()
    assert sources(user) == {"default"}


def test_apply_without_a_calibration_is_refused_and_writes_nothing(api_client, user):
    response = api_client.post("/api/rules/calibration", {"active": True}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_calibrated"
    assert not Rule.objects.filter(user=user).exists()
    body = api_client.get("/api/rules/calibration").json()
    assert body["exists"] is False and [line["inUse"] for line in body["lines"]] == list(DEFAULT_THRESHOLDS.values())
    assert api_client.post("/api/rules/calibration", {"active": "maybe"}, format="json").status_code == 400


def test_the_calibration_is_not_a_rule_you_can_upsert(api_client, user):
    response = api_client.post("/api/rules/upsert", {"kind": CALIBRATION_KIND, "params": {"thresholds": {}}},
                               format="json")
    assert response.status_code == 400
    assert not Rule.objects.filter(user=user).exists()
