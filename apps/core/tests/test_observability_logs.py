"""Structured log lines: shape, correlation (requestId, userRef, route) and redaction."""
from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from apps.core.observability.context import context_bind, context_clear, user_ref
from apps.core.observability.logs import REDACTED, formatter, redact_text


@pytest.fixture
def log_lines():
    """Every line the root logger writes during the test, rendered as in production (JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(style="json"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    context_clear()

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)
    context_clear()


def test_a_line_has_the_fixed_keys_first(log_lines):
    context_bind(requestId="req-0123456789", userRef="u-ref", route="api/x")
    logging.getLogger("apps.example").warning("it happened: %s", 42)

    [line] = log_lines()
    assert list(line)[:7] == ["ts", "level", "logger", "event", "requestId", "userRef", "route"]
    assert line["level"] == "warning"
    assert line["logger"] == "apps.example"
    assert line["event"] == "it happened: 42"
    assert line["requestId"] == "req-0123456789"
    assert line["ts"].endswith("Z")


def test_structlog_loggers_render_the_same_way(log_lines):
    structlog.get_logger("apps.example").info("import.started", jobId="job-1", pages=3)

    [line] = log_lines()
    assert (line["event"], line["logger"], line["level"], line["jobId"], line["pages"]) == (
        "import.started", "apps.example", "info", "job-1", 3)


@pytest.mark.parametrize(("message", "secret"), [
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature", "eyJhbGciOiJIUzI1NiJ9"),
    ("calling with api_key=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", "vmPUZE6mv9SD5VNHk4Hl"),
    ('{"apiSecret": "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"}', "NhqPtmdSJYdKjVHjA7PZ"),
    ("login failed: password=correct-horse-battery", "correct-horse-battery"),
    ("Cookie: sessionid=abc123def456; csrftoken=zyx987", "abc123def456"),
    ("refresh_token=1//0gLongRefreshTokenValue rotated", "1//0gLongRefreshTokenValue"),
    ("user trader.jane@example.co.uk signed up", "trader.jane@example.co.uk"),
    ("could not read line 7: 2024-03-01T10:00:00Z,BTC-USD,BUY,0.5,61234.5,USD", "61234.5"),
    ("Date;Pair;Type;Amount\n2024-03-01;ETHUSDT;SELL;1.25", "ETHUSDT"),
])
def test_secrets_and_personal_data_never_reach_a_line(log_lines, message, secret):
    logging.getLogger("apps.example").error(message)

    [line] = log_lines()
    assert secret not in json.dumps(line)


def test_sensitive_keys_are_redacted_whole(log_lines):
    structlog.get_logger("apps.example").info(
        "note.saved", journal_text="I panicked and sold everything", password="pw", api_key="k", token="t",
        csv_preview="a,b,c,d", email="a@b.co", payload={"note": "private words", "count": 2},
        headers={"Authorization": "Bearer x", "Cookie": "sessionid=1", "Accept": "text/html"})

    [line] = log_lines()
    for key in ("journal_text", "password", "api_key", "token", "csv_preview", "email"):
        assert line[key] == REDACTED
    assert line["payload"] == {"note": REDACTED, "count": 2}
    assert line["headers"] == {"Authorization": REDACTED, "Cookie": REDACTED, "Accept": "text/html"}


def test_stdlib_extras_are_redacted_too(log_lines):
    logging.getLogger("apps.example").info("connected", extra={"access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a"})

    [line] = log_lines()
    assert line["access_token"] == REDACTED


def test_exception_traces_are_redacted(log_lines):
    try:
        raise ValueError("bad secret=s3cr3t-value for someone@example.org")
    except ValueError:
        logging.getLogger("apps.example").exception("failed")

    [line] = log_lines()
    assert "ValueError: bad secret=[redacted] for [email]" in line["exception"]
    assert "s3cr3t-value" not in json.dumps(line)
    assert "someone@example.org" not in json.dumps(line)


def test_prose_and_code_survive_redaction():
    assert redact_text("sent 3 job(s) again, 2 failed, 1 parked, 0 queued") == (
        "sent 3 job(s) again, 2 failed, 1 parked, 0 queued")
    assert redact_text('File "/app/apps/trades/imports/runner.py", line 88, in run') == (
        'File "/app/apps/trades/imports/runner.py", line 88, in run')


def test_console_lines_are_readable_and_redacted():
    record = logging.LogRecord("apps.example", logging.INFO, __file__, 1, "login as %s", ("bob@example.com",), None)

    text = formatter(style="console").format(record)

    assert "login as [email]" in text
    assert "bob@example.com" not in text
    assert not text.startswith("{")


@pytest.mark.django_db
@pytest.mark.urls("apps.core.tests.observability_urls")
def test_a_request_s_lines_carry_its_id_route_and_user_reference(log_lines, api_client, user):
    response = api_client.get("/api/observability-probe/abc", HTTP_X_REQUEST_ID="proxy-req-00000001")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "proxy-req-00000001"
    [line] = [line for line in log_lines() if line["logger"] == "apps.core.tests.observability"]
    assert line["event"] == "looked at abc"
    assert line["requestId"] == "proxy-req-00000001"
    assert line["route"] == "api/observability-probe/<str:item_id>"
    assert line["userRef"] == user_ref(user.pk)
    assert user.email not in json.dumps(line)


@pytest.mark.django_db
@pytest.mark.urls("apps.core.tests.observability_urls")
def test_an_unexpected_error_is_logged_with_its_request_id_and_nothing_secret(log_lines, client):
    response = client.get("/api/observability-fails", HTTP_X_REQUEST_ID="proxy-req-00000002")

    assert response.status_code == 500
    assert response["X-Request-ID"] == "proxy-req-00000002"
    lines = [line for line in log_lines() if line["level"] == "error"]
    assert [line["logger"] for line in lines] == ["apps.core.middleware"]  # logged once, not again by Django
    assert {line["requestId"] for line in lines} == {"proxy-req-00000002"}
    line = lines[0]
    assert line["route"] == "api/observability-fails"
    assert "userRef" not in line
    text = json.dumps(line)
    assert "RuntimeError" in text
    assert "hunter2-very-secret" not in text
    assert "bob@example.com" not in text
