"""Schemathesis against the live ASGI app: every check, no 5xx, no response the schema does not describe.

A bounded run (a fixed seed, a capped number of examples per operation and a time budget) as a logged-in
user with a CSRF token, against daphne on the test database with the embedded stub exchange. Rate limits are
off in the server under test (they would turn most requests into 429s); logout is left out (it would end
the session mid-run). The run authenticates with headers, so its copy of the schema drops the security
requirements (otherwise "request without the cookie" cases would carry the cookie anyway).

Two checks are left out, both about how strictly input is judged rather than what the API answers:
- `positive_data_acceptance` ("schema-valid request rejected"): much of what the API refuses with a 400 is
  valid by the schema's types and cannot be described by it — an opaque cursor we did not issue, a
  time-zone name outside the IANA database, an address Django's email validator refuses;
- `negative_data_rejection` ("schema-violating request accepted"): DRF reads an empty form field or query
  parameter (`?sort=`) as one not sent, as HTML forms mean it, which a schema's `minLength` cannot say.
Every other check runs: no 5xx, every status code, content type, header and body as documented, methods
not allowed answered 405, created resources readable.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory
from apps.events.testing import child_env, free_port, stop_process, wait_for_port
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = 25
TIME_BUDGET_SECONDS = 75


@pytest.fixture
def server(transactional_db, tmp_path):
    """daphne on a free port; its log goes to a file (a pipe nobody reads would fill and stall the server)."""
    port = free_port()
    log = tmp_path / "daphne.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "twin.asgi:application"],
            cwd=settings.BASE_DIR, env=child_env(RATELIMIT_ENABLE="false", STUB_EXCHANGE_EMBEDDED="1"),
            stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, timeout=60, process=process)
            yield f"http://127.0.0.1:{port}", log
        finally:
            stop_process(process)


@pytest.mark.timeout(TIME_BUDGET_SECONDS + 120)
def test_the_api_keeps_to_its_schema_under_schemathesis(server, tmp_path):
    user = UserFactory()
    TradeFactory.create_batch(3, user=user)
    base, log = server
    with httpx.Client(base_url=base, timeout=10) as client:
        token = client.get("/api/auth/csrf").json()["csrfToken"]
        assert client.post("/api/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD},
                           headers={"X-CSRFToken": token}).status_code == 200
        token = client.get("/api/auth/csrf").json()["csrfToken"]
        cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        schema = tmp_path / "schema.json"
        document = client.get("/api/schema/", params={"format": "json"}).json()
    document.get("components", {}).pop("securitySchemes", None)
    for operations in document["paths"].values():
        for operation in operations.values():
            operation.pop("security", None)
    schema.write_text(json.dumps(document))
    st = str(Path(sys.executable).with_name("st"))
    command = [
        st, "run", str(schema), "--url", base, "--checks", "all", "--exclude-checks",
        "positive_data_acceptance,negative_data_rejection", "--workers", "1",
        "--max-examples", str(MAX_EXAMPLES), "--max-time", str(TIME_BUDGET_SECONDS), "--seed", "10",
        "--exclude-path", "/api/auth/logout", "--request-timeout", "20", "--suppress-health-check", "all",
        "--header", f"Cookie: {cookies}", "--header", f"X-CSRFToken: {token}", "--header", f"Origin: {base}",
        "--output-truncate", "true", "--no-color",
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                         timeout=TIME_BUDGET_SECONDS + 90)
    report = run.stdout[-20000:] + run.stderr[-4000:] + "\n--- server log ---\n" + log.read_text()[-4000:]
    (tmp_path / "schemathesis.log").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, report
    summary = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert summary and summary.group(1) == summary.group(2) and int(summary.group(1)) > 300, report
