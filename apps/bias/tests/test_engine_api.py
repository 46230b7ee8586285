"""The signed /v1 engine API: good signatures pass; missing/wrong/stale/replayed ones and big bodies fail."""
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from apps.bias.engine import ENGINE_VERSION, LABELS
from apps.bias.services.signing import SignatureInvalid, engine_request_verify, engine_signature

pytestmark = [pytest.mark.redis]

SECRET = "test-engine-secret"


def candles(n: int = 80, start: float = 100.0) -> list[dict]:
    base = datetime(2026, 9, 1, tzinfo=UTC)
    rows = []
    price = start
    for i in range(n):
        close = price * (1.004 if i % 3 else 0.997)
        rows.append({"ts": (base + timedelta(hours=i)).isoformat(), "open": f"{price:.4f}",
                     "high": f"{max(price, close) * 1.002:.4f}", "low": f"{min(price, close) * 0.998:.4f}",
                     "close": f"{close:.4f}", "volume": "12.5"})
        price = close
    return rows


def signed_post(client: Client, path: str, payload, *, secret: str = SECRET, timestamp: int | None = None,
                signature: str | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = signature if signature is not None else engine_signature(secret=secret, timestamp=ts, body=body)
    return client.post(path, data=body, content_type="application/json", HTTP_X_TIMESTAMP=ts, HTTP_X_SIGNATURE=sig)


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


def test_reflect_with_good_signature(client):
    response = signed_post(client, "/v1/nlg/reflect", {"label": "FOMO", "features": {}, "tone": "strict"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tone"] == "strict"
    assert body["bias"] == "FOMO"
    assert body["lint"] == []
    assert body["text"].count(".") >= 2


def test_indicators_with_good_signature(client):
    rows = candles(80)
    response = signed_post(client, "/v1/indicators", {"candles": rows})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["engineVersion"] == ENGINE_VERSION
    assert len(body["indicators"]) == 80
    assert body["indicators"][0]["RSI_14"] is None
    assert 0 <= body["indicators"][-1]["RSI_14"] <= 100


def test_score_with_good_signature(client):
    rows = candles(120)
    trades = [
        {"id": "t1", "symbol": "ABC-USD", "side": "BUY", "qty": "2", "price": rows[100]["close"], "fee": "0.1",
         "ts": rows[100]["ts"]},
        {"id": "t2", "symbol": "ABC-USD", "side": "SELL", "qty": "2", "price": rows[110]["close"], "fee": "0.1",
         "ts": rows[110]["ts"]},
    ]
    response = signed_post(client, "/v1/bias/score", {"trades": trades, "candles": {"ABC-USD": rows},
                                                       "rules": [{"kind": "minHoldHours", "params": {"hours": 2}}]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert {t["tradeId"] for t in body["tags"]} == {"t1", "t2"}
    assert all(t["label"] in LABELS and 0 <= t["confidence"] <= 1 for t in body["tags"])
    sell = next(p for p in body["positions"] if p["tradeId"] == "t2")
    assert sell["realizedPnl"] is not None
    assert sell["heldHours"] == pytest.approx(10.0)


def test_missing_signature_is_401(client):
    body = json.dumps({"label": "FOMO"}).encode()
    response = client.post("/v1/nlg/reflect", data=body, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    only_ts = client.post("/v1/nlg/reflect", data=body, content_type="application/json",
                          HTTP_X_TIMESTAMP=str(int(time.time())))
    assert only_ts.status_code == 401


def test_wrong_signature_is_401(client):
    response = signed_post(client, "/v1/nlg/reflect", {"label": "FOMO"}, secret="not-the-secret")
    assert response.status_code == 401
    tampered = signed_post(client, "/v1/nlg/reflect", {"label": "FOMO"}, signature="0" * 64)
    assert tampered.status_code == 401


def test_signature_over_a_different_body_is_401(client):
    ts = str(int(time.time()))
    sig = engine_signature(secret=SECRET, timestamp=ts, body=b'{"label": "PANIC"}')
    response = client.post("/v1/nlg/reflect", data=b'{"label": "FOMO"}', content_type="application/json",
                           HTTP_X_TIMESTAMP=ts, HTTP_X_SIGNATURE=sig)
    assert response.status_code == 401


@pytest.mark.parametrize("skew", [-400, 400, -3600])
def test_stale_or_future_timestamp_is_401(client, skew):
    response = signed_post(client, "/v1/nlg/reflect", {"label": "FOMO"}, timestamp=int(time.time()) + skew)
    assert response.status_code == 401
    assert "window" in response.json()["error"]["message"]


@pytest.mark.parametrize(("skew", "accepted"), [(-300, True), (300, True), (-301, False), (301, False)])
def test_timestamp_window_is_five_minutes_either_way(skew, accepted):
    sent = 1_800_000_000
    body = b"{}"
    signature = engine_signature(secret=SECRET, timestamp=str(sent), body=body)
    if accepted:
        engine_request_verify(timestamp=str(sent), signature=signature, body=body, now=sent - skew)
    else:
        with pytest.raises(SignatureInvalid):
            engine_request_verify(timestamp=str(sent), signature=signature, body=body, now=sent - skew)


def test_non_numeric_timestamp_is_401(client):
    body = b'{"label": "FOMO"}'
    sig = engine_signature(secret=SECRET, timestamp="yesterday", body=body)
    response = client.post("/v1/nlg/reflect", data=body, content_type="application/json",
                           HTTP_X_TIMESTAMP="yesterday", HTTP_X_SIGNATURE=sig)
    assert response.status_code == 401


def test_replayed_signature_is_401(client):
    ts = int(time.time())
    first = signed_post(client, "/v1/nlg/reflect", {"label": "NONE"}, timestamp=ts)
    assert first.status_code == 200
    replay = signed_post(client, "/v1/nlg/reflect", {"label": "NONE"}, timestamp=ts)
    assert replay.status_code == 401
    assert "already used" in replay.json()["error"]["message"]


def test_oversize_body_is_413_before_any_work(client, settings):
    settings.ENGINE_API_MAX_BODY = 1024
    payload = {"label": "FOMO", "features": {"pad": "x" * 2000}}
    response = signed_post(client, "/v1/nlg/reflect", payload)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_signed_but_invalid_input_is_400(client):
    response = signed_post(client, "/v1/nlg/reflect", {"label": "GREED"})
    assert response.status_code == 400
    assert "label" in response.json()["error"]["fields"]
    not_json = signed_post(client, "/v1/indicators", None, raw=b"{nope")
    assert not_json.status_code == 400
    bad_rule = signed_post(client, "/v1/bias/score", {"trades": [{"id": "a", "symbol": "X", "side": "BUY", "qty": "1",
                                                                  "price": "1", "ts": "2026-01-01T00:00:00Z"}],
                                                       "candles": {}, "rules": [{"kind": "minHoldHours", "params": {}}]})
    assert bad_rule.status_code == 400


def test_get_is_not_allowed(client):
    assert client.get("/v1/indicators").status_code == 405
