"""The narrative from an OpenAI-compatible model (a stub server on loopback): kept only when it has 3–5
sentences, passes the non-advisory linter and uses only the payload's numbers; otherwise the template."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.digest.periods import week_parse
from apps.digest.services import digest_payload_build

pytestmark = pytest.mark.django_db

W47 = week_parse(value="2026-W47", zone="UTC")
CLEAN = ("You made 5 trades in 2026-W47, up from 2 the week before. PANIC trades carried +21 USD and FOMO trades "
         "+17 USD. REVENGE showed up once, after a losing exit. Keep a fixed cooldown after a loss.")


class Stub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.reply: str | None = CLEAN
        self.requests: list[dict] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        if self.server.reply is None:
            payload, status = b'{"error": "down"}', 503
        else:
            content = json.dumps({"text": self.server.reply})
            payload, status = json.dumps({"choices": [{"message": {"content": content}}]}).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def model(settings):
    server = Stub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.LLM_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings.LLM_API_KEY = "sk-test"
    settings.LLM_TIMEOUT = 2
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_clean_answer_using_the_payloads_numbers_is_kept(user, week_book, model):
    payload = digest_payload_build(user=user, week=W47)

    assert payload["narrative"] == {"text": CLEAN, "tone": "supportive", "source": "llm"}
    sent = model.requests[0]
    assert sent["response_format"] == {"type": "json_object"}
    summary = sent["messages"][1]["content"]
    assert week_book["S1"].id not in summary and user.email not in summary and user.id not in summary
    assert json.loads(summary)["pnlByLabel"]["PANIC"] == {"USD": "21"}


@pytest.mark.parametrize("reply", [
    "You made 5 trades in 2026-W47. You should buy more BTC now. It will reach $80k. Keep going.",  # advice
    "You made 7 trades in 2026-W47. PANIC trades carried +21 USD. FOMO trades +17 USD.",  # 7 is not in the payload
    "You made 5 trades in 2026-W47. That is all.",  # two sentences
    None,  # the provider is down
])
def test_anything_else_falls_back_to_the_template(user, week_book, model, reply):
    model.reply = reply

    payload = digest_payload_build(user=user, week=W47)

    assert payload["narrative"]["source"] == "template"
    assert payload["narrative"]["text"].startswith("You made 5 trades in 2026-W47, up from 2 the week before.")
