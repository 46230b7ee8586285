"""A synthetic user journey against a running deployment, timed against the SLOs (`manage.py slo_probe`).

Through the public HTTP API and socket only, as a browser would: sign up a probe user (or log in with the
given account), open `/ws/coach`, upload a small export, then wait on the socket for the import to finish
(`import.progress` with `done`) and for the first `coach.reflect`. Each step is timed and compared with
its objective; the push latency of the reflection (its event time → received) is reported as well.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import httpx

# Objectives (seconds), from the service level objectives of the project.
API_SLO = 0.8  # one API call, p95
IMPORT_SLO = 60.0  # upload → import finished and labelled, p95
PUSH_SLO = 0.5  # outbox commit → socket, p50


@dataclass(frozen=True)
class ProbeStep:
    name: str
    seconds: float | None
    slo_seconds: float
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.seconds is not None and self.seconds <= self.slo_seconds


class ProbeFailed(Exception):
    def __init__(self, step: str, detail: str):
        super().__init__(f"{step}: {detail}")
        self.step, self.detail = step, detail


def probe_export_csv(*, now: datetime | None = None) -> bytes:
    """Two BTC/USDT fills of three days ago, as Binance's spot trade history export writes them."""
    start = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    rows = ['"Date(UTC)","Pair","Side","Price","Executed","Amount","Fee"']
    for i, side in enumerate(("BUY", "SELL")):
        stamp = (start + timedelta(hours=5 * i)).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(f'"{stamp}","BTCUSDT","{side}","50000","0.01BTC","500USDT","0.5USDT"')
    return ("\n".join(rows) + "\n").encode()


def _timed(name: str, slo: float, call):
    started = time.perf_counter()
    result = call()
    return result, ProbeStep(name, time.perf_counter() - started, slo)


def _expect(step: str, response: httpx.Response, status: int) -> dict:
    if response.status_code != status:
        raise ProbeFailed(step, f"HTTP {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else {}


def probe_run(*, base_url: str, email: str | None = None, password: str | None = None,
              timeout: float = 120.0) -> list[ProbeStep]:
    """Run the journey once. Returns the timed steps; raises ProbeFailed when a step does not complete."""
    from websockets.sync.client import connect

    base_url = base_url.rstrip("/")
    parsed = urlparse(base_url)
    socket_url = f"{'wss' if parsed.scheme == 'https' else 'ws'}://{parsed.netloc}/ws/coach"
    steps: list[ProbeStep] = []
    with httpx.Client(base_url=base_url, timeout=30.0, headers={"Origin": base_url}) as client:
        token = _expect("csrf", client.get("/api/auth/csrf"), 200)["csrfToken"]
        if email and password:
            response, step = _timed("login", API_SLO, lambda: client.post(
                "/api/auth/login", json={"email": email, "password": password}, headers={"X-CSRFToken": token}))
            _expect("login", response, 200)
        else:
            email = f"slo-probe-{secrets.token_hex(6)}@probe.invalid"
            password = secrets.token_urlsafe(24)
            response, step = _timed("signup", API_SLO, lambda: client.post(
                "/api/auth/signup", json={"email": email, "password": password}, headers={"X-CSRFToken": token}))
            _expect("signup", response, 201)
        steps.append(step)
        token = _expect("csrf", client.get("/api/auth/csrf"), 200)["csrfToken"]  # rotated at login
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())

        started = time.perf_counter()
        with connect(socket_url, additional_headers={"Cookie": cookie, "Origin": base_url},
                     open_timeout=10) as socket:
            steps.append(ProbeStep("socket", time.perf_counter() - started, API_SLO))
            upload_started = time.perf_counter()
            response = client.post("/api/trades/upload", headers={"X-CSRFToken": token},
                                   files={"file": ("probe.csv", probe_export_csv(), "text/csv")})
            steps.append(ProbeStep("upload", time.perf_counter() - upload_started, API_SLO))
            job_id = _expect("upload", response, 202)["jobId"]
            imported = reflected = None
            push = None
            deadline = upload_started + timeout
            while reflected is None:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise ProbeFailed("reflect" if imported else "import", f"nothing after {timeout:.0f} s")
                try:
                    frame = json.loads(socket.recv(timeout=remaining))
                except TimeoutError:
                    continue
                received = datetime.now(UTC)
                kind, payload = frame.get("type"), frame.get("payload") or {}
                if kind == "import.progress" and payload.get("jobId") == job_id and payload.get("done"):
                    if payload.get("status") != "done":
                        raise ProbeFailed("import", f"status {payload.get('status')}: {payload.get('error', '')}")
                    imported = time.perf_counter() - upload_started
                elif kind == "coach.reflect":
                    reflected = time.perf_counter() - upload_started
                    push = (received - datetime.fromisoformat(frame["ts"])).total_seconds()
    steps.append(ProbeStep("import", imported, IMPORT_SLO, f"job {job_id}"))
    steps.append(ProbeStep("reflect", reflected, IMPORT_SLO, "upload → first coach.reflect"))
    steps.append(ProbeStep("push", max(0.0, push or 0.0), PUSH_SLO, "coach.reflect event → socket"))
    return steps
