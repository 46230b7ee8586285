"""Inputs that once crashed a request: each answers a 4xx JSON error and writes nothing."""
import base64
import hashlib
import hmac
import json
import logging
import time

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from apps.accounts.models import Audit, User
from apps.accounts.testing import UserFactory
from apps.bias.models import Rule
from apps.core.middleware import ApiErrorMiddleware
from apps.core.parsing import JsonRejected, json_depth_exceeds, json_parse
from apps.core.testing import csrf_token_for
from apps.events.models import EventOutbox
from apps.trades.models import Trade
from apps.trades.testing import TradeFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert error["code"] == code
    return error


def cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- the parser ---------------------------------------------------------------------------------------------

def test_depth_is_measured_without_parsing_and_ignores_brackets_in_strings():
    assert json_depth_exceeds(DEEP.encode())
    assert json_depth_exceeds(("[" * 33 + "]" * 33).encode())
    assert not json_depth_exceeds(("[" * 32 + "]" * 32).encode())
    assert not json_depth_exceeds(json.dumps({"text": "[" * 5000, "quote": '\\"[[[['}).encode())
    assert json_parse(json.dumps({"text": "[" * 5000})) == {"text": "[" * 5000}


@pytest.mark.parametrize("raw, reason", [
    (DEEP, "nests deeper than 32"),
    ('{"email": "a\\u0000b"}', "NUL"),
    ('{"n": NaN}', "not valid JSON"),
    ('{"n": Infinity}', "not valid JSON"),
    (b'{"a": "\xff"}', "not UTF-8"),
    ('{"a": ', "not valid JSON"),
])
def test_parser_refuses(raw, reason):
    with pytest.raises(JsonRejected) as caught:
        json_parse(raw)
    assert reason in caught.value.message
    assert caught.value.code == "parse_error"


def test_parser_keeps_an_escaped_backslash_before_u0000():
    assert json_parse('{"path": "C:\\\\u0000"}') == {"path": "C:\\u0000"}


def test_parser_refuses_more_than_its_size():
    with pytest.raises(JsonRejected):
        json_parse(b"[" + b"1," * 600 + b"1]", max_bytes=1000)


# --- HTTP: nested JSON --------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_deep_json_on_login_without_csrf_token_is_4xx(body, csrf_client):
    assert_error(csrf_client.post("/api/auth/login", data=body, content_type="application/json"), 403, "csrf_failed")
    csrf_token_for(csrf_client)  # the cookie, but no header: the CSRF check parses the body for a token
    assert_error(csrf_client.post("/api/auth/login", data=body, content_type="application/json"), 400, "parse_error")
    assert not Audit.objects.exists()


def test_deep_json_on_rules_upsert_and_preferences_is_400(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    token = csrf_token_for(client)
    for path in ("/api/rules/upsert", "/api/auth/preferences"):
        for with_token in (False, True):
            headers = {"HTTP_X_CSRFTOKEN": token} if with_token else {}
            assert_error(client.post(path, data=DEEP, content_type="application/json", **headers), 400, "parse_error")
    assert not Rule.objects.exists()
    user.refresh_from_db()
    assert user.coach_tone == "supportive"
    assert not Audit.objects.filter(action="preferences_changed").exists()


def test_nul_in_a_json_string_is_400(api_client, user):
    response = api_client.post("/api/rules/upsert", data='{"kind": "minHoldHours", "params": {"note": "a\\u0000"}}',
                               content_type="application/json")
    assert_error(response, 400, "parse_error")
    assert not Rule.objects.exists()


# --- ids, cursors and dates ---------------------------------------------------------------------------------

def test_trades_cursor_with_an_out_of_range_zone_is_400(api_client):
    TradeFactory(user=User.objects.get())
    bad = cursor(["0001-01-01T00:00:00+23:59", "x", "a"])
    assert_error(api_client.get("/api/trades", {"cursor": bad}), 400, "invalid_cursor")


@pytest.mark.parametrize("values", [
    ["0001-01-01T00:00:00+23:59", "x"],
    ["9999-12-31T23:59:59-23:59", "x"],
    ["2026-01-01T00:00:00+00:00", "a\x00b"],
    ["2026-01-01T00:00:00", "x"],
    [["nested"], "x"],
    [None, "x"],
])
def test_bias_grid_cursor_out_of_range_or_with_nul_is_400(api_client, values):
    assert_error(api_client.get("/api/bias/trades", {"cursor": cursor(values)}), 400, "invalid_cursor")


def test_trades_cursor_id_with_nul_and_oversized_cursor_are_400(api_client):
    assert_error(api_client.get("/api/trades", {"cursor": cursor(["2026-01-01T00:00:00+00:00", "a\x00b", "a"])}),
                 400, "invalid_cursor")
    assert_error(api_client.get("/api/bias/trades", {"cursor": "A" * 5000}), 400, "invalid_cursor")


def test_nul_in_path_or_query_is_400(api_client):
    assert_error(api_client.get("/api/events?since=a%00b"), 400, "bad_request")
    assert_error(api_client.get("/api/trades/%00"), 400, "bad_request")
    assert_error(api_client.get("/api/trades?symbol=BTC-USD&x=%00"), 400, "bad_request")


def test_malformed_event_id_is_unknown_event(api_client):
    assert_error(api_client.get("/api/events", {"since": "not an id!"}), 404, "unknown_event")


def test_summary_with_dates_at_the_ends_of_the_calendar_is_400(api_client):
    error = assert_error(api_client.get("/api/bias/summary?since=0001-01-01&until=9999-12-31"), 400, "invalid")
    assert set(error["fields"]) == {"until"}
    error = assert_error(api_client.get("/api/bias/summary?since=0001-01-01&until=2026-01-01"), 400, "invalid")
    assert set(error["fields"]) == {"since"}
    response = api_client.get("/api/bias/summary?since=2026-01-01&until=2026-01-31")
    assert response.status_code == 200
    assert response.json()["until"] == "2026-02-01T00:00:00+00:00"


# --- /v1 ----------------------------------------------------------------------------------------------------

def signed(body: bytes, *, timestamp: str | None = None) -> dict:
    from django.conf import settings

    timestamp = timestamp or str(int(time.time()))
    signature = hmac.new(settings.ENGINE_API_SECRET.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()
    return {"HTTP_X_TIMESTAMP": timestamp, "HTTP_X_SIGNATURE": signature}


def test_v1_non_ascii_signature_is_401():
    client = APIClient()
    body = b'{"label": "FOMO"}'
    headers = {**signed(body), "HTTP_X_SIGNATURE": "é" * 64}
    assert_error(client.post("/v1/nlg/reflect", data=body, content_type="application/json", **headers),
                 401, "unauthorized")
    headers = {**signed(body), "HTTP_X_TIMESTAMP": "١٧٠٠٠٠٠٠٠٠"}
    assert_error(client.post("/v1/nlg/reflect", data=body, content_type="application/json", **headers),
                 401, "unauthorized")


def test_v1_signed_nested_body_is_400_and_a_valid_one_still_works():
    client = APIClient()
    body = ('{"label": "FOMO", "features": ' + DEEP_OBJECT + "}").encode()
    assert_error(client.post("/v1/nlg/reflect", data=body, content_type="application/json", **signed(body)),
                 400, "parse_error")
    body = b'{"label": "FOMO"}'
    response = client.post("/v1/nlg/reflect", data=body, content_type="application/json", **signed(body))
    assert response.status_code == 200
    assert response.json()["bias"] == "FOMO"


def test_v1_get_is_405_json_with_allow():
    response = APIClient().get("/v1/nlg/reflect")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_api_method_not_allowed_is_json(api_client):
    response = api_client.delete("/api/auth/me")
    assert_error(response, 405, "method_not_allowed")


# --- the last resort ----------------------------------------------------------------------------------------

def test_unexpected_exception_on_the_api_is_json_500_logged_once_without_a_flood(caplog):
    def deep(n):
        return deep(n + 1) if n < 200 else 1 / 0

    try:
        deep(0)
    except ZeroDivisionError as exc:
        error = exc
    request = RequestFactory().get("/api/anything")
    middleware = ApiErrorMiddleware(lambda r: None)
    with caplog.at_level(logging.ERROR, logger="apps.core.middleware"):
        response = middleware.process_exception(request, error)
    assert_error(response, 500, "server_error")
    assert response._has_been_logged  # django.request does not log it a second time
    records = [r for r in caplog.records if r.name == "apps.core.middleware"]
    assert len(records) == 1
    text = records[0].getMessage()
    assert text.startswith("Unhandled ZeroDivisionError on GET /api/anything: division by zero")
    assert 1 <= text.count('File "') <= 5  # the innermost frames only, not 200 of them
    assert len(text.splitlines()) <= 21


def test_nothing_was_written_by_refused_requests(api_client):
    api_client.get("/api/trades/%00")
    api_client.post("/api/rules/upsert", data=DEEP, content_type="application/json")
    assert not Trade.objects.exists()
    assert not Rule.objects.exists()
    assert not EventOutbox.objects.exists()


# --- per-account failed logins ------------------------------------------------------------------------------

def test_failed_logins_are_limited_per_account_across_addresses():
    from apps.accounts.testing import DEFAULT_PASSWORD

    victim, bystander = UserFactory(), UserFactory()
    for n in range(10):
        client = APIClient(REMOTE_ADDR=f"198.51.100.{100 + n}")
        response = client.post("/api/auth/login", {"email": victim.email.upper(), "password": "wrong-password-x"},
                               format="json")
        assert_error(response, 401, "invalid_credentials")
    fresh = APIClient(REMOTE_ADDR="198.51.100.200")
    response = fresh.post("/api/auth/login", {"email": victim.email, "password": DEFAULT_PASSWORD}, format="json")
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 900
    assert Audit.objects.filter(action="login_failed").count() == 10
    assert not Audit.objects.filter(action="login").exists()
    response = fresh.post("/api/auth/login", {"email": bystander.email, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200


# --- upload headers limit, CSP, the schema ------------------------------------------------------------------

def test_upload_headers_is_rate_limited_per_user(api_client, user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.core.testing import rate_window_fresh

    rate_window_fresh(key_value=str(user.pk))
    statuses = [api_client.post("/api/trades/upload/headers",
                                {"file": SimpleUploadedFile("a.csv", b"When,Pair,Side\n2026-01-01,BTC-USD,BUY\n")},
                                format="multipart").status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429]


def test_csp_connect_src_is_the_site_itself(client):
    policy = client.get("/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["connect-src"] == "'self'"


def test_schema_documents_list_pages_and_error_envelopes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    for path in ("/api/trades/import", "/api/trades/mappings"):
        ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        page = components[ok["$ref"].rsplit("/", 1)[1]]
        assert set(page["properties"]) == {"results", "nextCursor"}
        assert page["properties"]["results"]["type"] == "array"
        assert page["properties"]["nextCursor"]["nullable"] is True
    login = schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert {"200", "400", "401", "403", "429"} <= set(login)
    assert login["429"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    assert "401" not in schema["paths"]["/api/auth/csrf"]["get"]["responses"]
    assert "401" in schema["paths"]["/api/trades"]["get"]["responses"]
