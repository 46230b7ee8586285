"""The hardening that only a real server shows: daphne + the ASGI app on loopback, on the test database."""
import socket
import time

import httpx
import pytest

from apps.accounts.models import Audit
from apps.accounts.sessions import fingerprint_hash
from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory
from apps.core.asgi import client_address
from apps.core.testing import rate_window_fresh
from apps.events.testing import child_env
from apps.trades.models import ImportJob

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PROXY = "203.0.113.7"


# --- the client address -------------------------------------------------------------------------------------

@pytest.mark.parametrize("forwarded, trusted, expected", [
    (["198.51.100.1"], 0, "127.0.0.1"),
    (["198.51.100.1, 198.51.100.2"], 0, "127.0.0.1"),
    ([f"198.51.100.1, {PROXY}"], 1, PROXY),
    ([f"198.51.100.1, 127.0.0.1, {PROXY}"], 1, PROXY),
    (["198.51.100.1", PROXY], 1, PROXY),
    ([f"198.51.100.1, {PROXY}, 10.0.0.2"], 2, PROXY),
    ([f"{PROXY}:4711"], 1, PROXY),
    (["[2001:db8::1]:4711"], 1, "2001:db8::1"),
    ([], 1, "127.0.0.1"),
    (["not-an-address"], 1, "127.0.0.1"),
    ([PROXY], 2, "127.0.0.1"),
])
def test_client_address_counts_trusted_hops_from_the_right(forwarded, trusted, expected):
    assert client_address(peer="127.0.0.1", forwarded_for=forwarded, trusted_proxies=trusted) == expected


def _failed_logins(base: str, forwarded_for: list[str]) -> list[int]:
    statuses = []
    with httpx.Client(base_url=base, timeout=10) as client:
        token = client.get("/api/auth/csrf").json()["csrfToken"]
        for n, value in enumerate(forwarded_for):
            response = client.post("/api/auth/login", json={"email": f"nobody{n}@example.com", "password": "wrong-1"},
                                   headers={"X-CSRFToken": token, "X-Forwarded-For": value})
            assert response.headers["content-type"] == "application/json"
            statuses.append(response.status_code)
    return statuses


def test_spoofed_forwarded_for_does_not_escape_the_login_limit_without_a_proxy(daphne_process):
    _, port = daphne_process()
    rate_window_fresh(key_value="127.0.0.1")
    spoofed = [f"198.51.100.{n}" for n in range(1, 9)] + [f"198.51.100.{n}, 127.0.0.1" for n in range(9, 16)]
    assert _failed_logins(f"http://127.0.0.1:{port}", spoofed) == [401] * 10 + [429] * 5
    hashes = set(Audit.objects.filter(action="login_failed").values_list("meta__ipHash", flat=True))
    assert hashes == {fingerprint_hash("127.0.0.1")}


def test_behind_one_trusted_proxy_the_address_it_appended_is_the_client(daphne_process):
    _, port = daphne_process(env=child_env(TRUSTED_PROXY_COUNT="1"))
    rate_window_fresh(key_value=PROXY)
    spoofed = [f"198.51.100.{n}, {PROXY}" for n in range(1, 9)] + [f"198.51.100.{n}, 127.0.0.1, {PROXY}"
                                                                    for n in range(9, 16)]
    assert _failed_logins(f"http://127.0.0.1:{port}", spoofed) == [401] * 10 + [429] * 5
    hashes = set(Audit.objects.filter(action="login_failed").values_list("meta__ipHash", flat=True))
    assert hashes == {fingerprint_hash(PROXY)}


# --- bodies and request lines -------------------------------------------------------------------------------

CSV = b"Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2026-01-02 10:00:00,BTCUSDT,BUY,42000,0.01BTC,420USDT,0.1USDT\n"
BOUNDARY = "twinboundary7"


def _multipart(content: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def _chunks(body: bytes, size: int = 64 * 1024):
    for start in range(0, len(body), size):
        yield body[start:start + size]


def _logged_in(base: str) -> tuple[httpx.Client, str]:
    user = UserFactory()
    client = httpx.Client(base_url=base, timeout=30)
    token = client.get("/api/auth/csrf").json()["csrfToken"]
    response = client.post("/api/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.text
    return client, client.get("/api/auth/csrf").json()["csrfToken"]


def test_chunked_uploads_are_read_within_the_limit_and_refused_past_it(daphne_process):
    _, port = daphne_process()
    client, token = _logged_in(f"http://127.0.0.1:{port}")
    headers = {"X-CSRFToken": token, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    try:
        small = client.post("/api/trades/upload/headers", content=_chunks(_multipart(CSV)), headers=headers)
        assert small.request.headers.get("transfer-encoding") == "chunked"
        assert small.status_code == 200, small.text
        assert small.json()["headers"] == ["Date(UTC)", "Pair", "Side", "Price", "Executed", "Amount", "Fee"]

        upload = client.post("/api/trades/upload", content=_chunks(_multipart(CSV)), headers=headers)
        assert upload.status_code == 202, upload.text

        big = _multipart(CSV + b"0" * (11 * 1024 * 1024))
        started = time.monotonic()
        try:
            refused = client.post("/api/trades/upload", content=_chunks(big), headers=headers)
        except httpx.TransportError:
            pytest.fail("the 413 answer did not reach the client")
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "payload_too_large"
        assert time.monotonic() - started < 10
    finally:
        client.close()
    assert ImportJob.objects.count() == 1


def _raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


def test_over_long_request_line_is_414_and_header_431_at_once(daphne_process):
    _, port = daphne_process()
    started = time.monotonic()
    answer = _raw_request(port, b"GET /api/trades?q=" + b"a" * (1024 * 1024) + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 414 "), answer[:200]
    assert answer.endswith(b'{"error": {"code": "uri_too_long", "message": "The request line is too long."}}')
    answer = _raw_request(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert time.monotonic() - started < 5
    ordinary = _raw_request(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert ordinary.startswith(b"HTTP/1.1 200 ")


def test_a_body_the_server_itself_cannot_split_is_a_json_400(daphne_process):
    _, port = daphne_process()
    body = b"--x--\r\n"
    answer = _raw_request(port, b"POST /api/trades/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: "
                                + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"Content-Type: application/json" in answer
    assert answer.endswith(b'{"error": {"code": "bad_request", "message": "The request could not be parsed."}}')
