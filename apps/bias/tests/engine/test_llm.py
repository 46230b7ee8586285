"""The optional reflection writer against a stub OpenAI-compatible server on loopback."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from apps.bias.engine import reflect
from apps.bias.engine.llm import cache_key, feature_summary
from apps.bias.engine.reflections import template_reflection

pytestmark = pytest.mark.redis

GOOD = "You entered right after a sharp run-up, which is when the pull to join in is strongest. Write one line on why before your next entry."
ADVICE = "This move has legs. You should buy more now because it will reach $80k."
FEATURES = {
    "engine_version": "1.0.0",
    "inputs": {"side": "BUY", "symbol": "BTC-USD", "pct_change_24h_before": 0.121, "RSI_14": 78.2, "BB_pos": 0.91,
               "trade_id": "tr_secret_1"},
    "conditions": [{"name": "RSI_14", "value": 78.2, "op": ">=", "threshold": 70.0, "fired": True, "explain": "x"}],
    "rules": [{"kind": "minHoldHours", "status": "not_applicable", "params": {"hours": 4}}],
    "history": {"candles_before": 400},
    "user_email": "trader@example.com",
    "access_token": "tok_live_abc",
}


class StubLLM(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.mode = "good"
        self.requests: list[dict] = []


class StubHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        server: StubLLM = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server.requests.append({"path": self.path, "body": body.decode(), "auth": self.headers.get("Authorization")})
        if server.mode == "error":
            self._send(500, b'{"error": "boom"}')
            return
        if server.mode == "slow":
            time.sleep(1.5)
        content = {"good": json.dumps({"text": GOOD}), "slow": json.dumps({"text": GOOD}),
                   "advice": json.dumps({"text": ADVICE}), "invalid": "Sure! Here is a reflection: {text: nope",
                   "three": json.dumps({"text": GOOD + " Also breathe."}), "shape": json.dumps({"message": GOOD})}[server.mode]
        self._send(200, json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode())

    def _send(self, status, payload):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def stub(settings):
    server = StubLLM()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.LLM_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings.LLM_API_KEY = "sk-test"
    settings.LLM_MODEL = "stub-model"
    settings.LLM_TIMEOUT = 0.5
    cache.clear()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    cache.clear()


def key(tone="supportive"):
    return cache_key(summary=feature_summary(label="FOMO", features=FEATURES), label="FOMO", tone=tone)


def test_generated_text_is_used_cached_and_sent_only_the_summary(stub):
    reflection = reflect(label="FOMO", features=FEATURES, tone="supportive")
    assert (reflection.text, reflection.tone, reflection.bias) == (GOOD, "supportive", "FOMO")
    assert len(stub.requests) == 1
    request = stub.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    body = json.loads(request["body"])
    assert body["model"] == "stub-model"
    sent = request["body"]
    for secret in ("tr_secret_1", "trader@example.com", "tok_live_abc", "BTC-USD", "trade_id"):
        assert secret not in sent
    user = json.loads(body["messages"][-1]["content"])
    assert user["label"] == "FOMO" and user["tone"] == "supportive"
    assert user["inputs"] == {"side": "BUY", "pct_change_24h_before": 0.121, "RSI_14": 78.2, "BB_pos": 0.91}
    assert cache.get(key()) == GOOD

    stub.mode = "advice"
    assert reflect(label="FOMO", features=FEATURES, tone="supportive").text == GOOD
    assert len(stub.requests) == 1  # served from the cache


@pytest.mark.parametrize(("mode", "expected"), [
    ("advice", {"reason": "linter", "violations": ["instruction: You should buy more now", "price level: it will reach $80k"]}),
    ("invalid", {"reason": "invalid_answer"}),
    ("error", {"reason": "unavailable"}),
    ("three", {"reason": "not_two_sentences"}),
    ("shape", {"reason": "invalid_answer"}),
])
def test_unusable_answers_fall_back_to_the_template_and_say_why(stub, mode, expected):
    stub.mode = mode
    reflection = reflect(label="FOMO", features=FEATURES, tone="strict")
    template = template_reflection(label="FOMO", features=FEATURES, tone="strict")
    assert (reflection.text, reflection.source) == (template.text, "template")
    assert reflection.fallback == expected
    assert len(stub.requests) == 1
    assert cache.get(key("strict")) is None


def test_timeout_falls_back_quickly(stub):
    stub.mode = "slow"
    started = time.monotonic()
    reflection = reflect(label="FOMO", features=FEATURES, tone="supportive")
    assert time.monotonic() - started < 1.4
    assert reflection.text == template_reflection(label="FOMO", features=FEATURES, tone="supportive").text
    assert reflection.fallback == {"reason": "timeout"}


def test_disabled_without_a_url(stub, settings):
    settings.LLM_BASE_URL = ""
    reflection = reflect(label="FOMO", features=FEATURES, tone="supportive")
    assert reflection == template_reflection(label="FOMO", features=FEATURES, tone="supportive")
    assert reflection.fallback is None
    assert stub.requests == []
