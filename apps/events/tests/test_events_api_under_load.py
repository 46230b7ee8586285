"""GET /api/events paged by several clients at once on the production web command with a small, busy
connection pool: a request that cannot get a database connection in time answers 503 with the JSON error
envelope and Retry-After (never a 500), and a client that retries on 503 replays every event exactly once."""

import subprocess
import sys
import threading
import time

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.core.testing import free_port, production_web_env, production_web_running
from apps.events.services import event_append_many, outbox_claim_batch

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

EVENTS = 20_000
APP_NAME = "twin-events-load-test"  # how the server's database sessions are named (libpq PGAPPNAME)
CLIENTS = 6


@pytest.fixture
def busy_production_web(transactional_db, tmp_path):
    """One gunicorn/uvicorn process with 6 request threads sharing ONE pooled connection that a waiting
    request may wait for 0.02 s: a page of 500 events holds it longer than that (on a fast host a page is
    read and encoded in a few hundredths of a second, so a longer wait would seldom run out)."""
    port = free_port()
    env = production_web_env(
        port=port, prefix="evload", PGAPPNAME=APP_NAME, WEB_CONCURRENCY="1", RATELIMIT_ENABLE="0", OUTBOX_RELAY_EMBEDDED="0",
        JOBS_IN_PROCESS="0", DB_POOL_MAX_SIZE="1", WEB_THREADS=str(CLIENTS), DB_POOL_TIMEOUT="0.02",
        STATIC_ROOT=str(tmp_path / "static"))
    # pages render with the collected, hashed static files of the production settings
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=settings.BASE_DIR,
                   env=env, check=True, timeout=300)
    log = tmp_path / "web.log"
    with production_web_running(env, log, processes=1) as url:
        yield url, log


def _seed(user) -> list[str]:
    ids = []
    for start in range(0, EVENTS, 5000):
        ids += event_append_many(user=user, type="coach.reflect",
                                 payloads=[{"tradeId": f"t{n:05d}", "text": "x" * 200}
                                           for n in range(start, min(start + 5000, EVENTS))])
    numbered = 0
    while numbered < EVENTS:
        rows, _ = outbox_claim_batch(limit=5000, include_pending=False)
        assert rows
        numbered += len(rows)
    return ids


def test_paging_events_with_a_busy_pool_answers_503_never_500_and_loses_nothing(busy_production_web):
    url, log = busy_production_web
    user = User.objects.create_user(email="pager@example.com", password="a-long-password-123")
    ids = _seed(user)
    browser = Client()
    browser.force_login(user)
    cookie = f"__Host-sessionid={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

    statuses: list[int] = []
    refusals: list[httpx.Response] = []
    replays: list[list[str]] = []
    lock = threading.Lock()

    def page_through():
        seen: list[str] = []
        since = None
        with httpx.Client(base_url=url, headers={"Cookie": cookie}, timeout=60) as client:
            for _ in range(2000):  # 40 pages, and room for many retries
                response = client.get("/api/events", params={"limit": "500", **({"since": since} if since else {})})
                with lock:
                    statuses.append(response.status_code)
                if response.status_code == 503:
                    with lock:
                        refusals.append(response)
                    continue  # what a client does: try again
                if response.status_code != 200:
                    break
                body = response.json()
                seen += [event["eventId"] for event in body["results"]]
                since = body["nextCursor"]
                if not since:
                    break
        with lock:
            replays.append(seen)

    threads = [threading.Thread(target=page_through) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert set(statuses) <= {200, 503}, (sorted(set(statuses)), log.read_text()[-3000:])
    assert "Unhandled" not in log.read_text()
    assert refusals, "the pool was never short: the test did not load the server"
    for response in refusals:
        assert response.json() == {"error": {"code": "unavailable",
                                             "message": "A service we depend on is unavailable. Try again shortly."}}
        assert response.headers["Retry-After"] == "30"
    assert len(replays) == CLIENTS
    for seen in replays:
        assert seen == ids  # every event once, in delivery order


def _maintenance():
    """A connection to the `postgres` database (a database cannot refuse connections from inside itself)."""
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres",
                           password=db["PASSWORD"] or None, dbname="postgres", autocommit=True)


def test_a_database_that_refuses_connections_answers_503_on_the_api_and_on_pages(busy_production_web):
    url, log = busy_production_web
    user = User.objects.create_user(email="away@example.com", password="a-long-password-123")
    browser = Client()
    browser.force_login(user)
    cookie = f"__Host-sessionid={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    name = connection.settings_dict["NAME"]
    with httpx.Client(base_url=url, headers={"Cookie": cookie}, timeout=60) as client:
        assert client.get("/api/events").status_code == 200
        with _maintenance() as admin:  # the database stops taking connections and drops the server's
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            # the server's connections only: other connections of this test run (a live server's threads
            # kept for later tests) must not be cut
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                          "AND application_name = %s", [name, APP_NAME])
        try:
            api = [client.get(path) for path in ("/api/events", "/api/events", "/api/trades")]
            page = client.get("/trades/")
        finally:
            with _maintenance() as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        for response in api:
            assert response.status_code == 503, (response.status_code, response.text[:300], log.read_text()[-3000:])
            assert response.json()["error"]["code"] == "unavailable"
            assert response.headers["Retry-After"] == "30"
        assert page.status_code == 503, (page.status_code, log.read_text()[-3000:])
        assert page.headers["Retry-After"] == "30"
        deadline = time.monotonic() + 60  # the pool reconnects in the background, with backoff
        while (status := client.get("/api/events").status_code) == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status == 200  # it serves again once the database is back
    assert "Unhandled" not in log.read_text()
