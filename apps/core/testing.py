"""Project-wide fixtures: API clients that enforce CSRF like a browser, and a real Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from rest_framework.test import APIClient

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process(process: subprocess.Popen, *, timeout: float = 10.0) -> int:
    """Stop a server a test started: terminate, wait up to `timeout`, then kill. Its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def production_web_env(*, port: int, prefix: str, **extra: str) -> dict[str, str]:
    """The environment of the production web command (`gunicorn -c python:twin.gunicorn_conf
    twin.asgi:application`, production settings) on 127.0.0.1:`port`, against this test run's database and
    Redis, its cache keys under `prefix`; `extra` adds or overrides variables."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    env = dict(
        os.environ, PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="twin.settings.production",
        WEB_BIND=f"127.0.0.1:{port}", DJANGO_SECRET_KEY=settings.SECRET_KEY,
        SESSION_HASH_PEPPER=settings.SESSION_HASH_PEPPER, ENGINE_API_SECRET="test-engine",
        TOKEN_KEKS="k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1", REDIS_URL=settings.REDIS_URL, CACHE_KEY_PREFIX=f"{prefix}-{os.getpid()}",
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                     f"{db['PORT'] or 5432}/{db['NAME']}")
    env.update(extra)
    return env



@contextmanager
def production_web_running(env: dict[str, str], log: Path, *, processes: int = 1):
    """The production web command with `env` (see `production_web_env`), its output in `log`; yields the base
    URL once `processes` workers have started, and stops it (terminate, then kill) on the way out."""
    from django.conf import settings

    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:twin.gunicorn_conf",
                                    "twin.asgi:application"], cwd=settings.BASE_DIR, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while log.read_text().count("Started server process") < processes:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield f"http://{env['WEB_BIND']}"
    finally:
        stop_process(process, timeout=40)

@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters and cached values never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def csrf_client() -> APIClient:
    """An anonymous client that must send a CSRF token on unsafe methods, as a browser would."""
    return APIClient(enforce_csrf_checks=True)


def csrf_token_for(client: APIClient) -> str:
    response = client.get("/api/auth/csrf")
    assert response.status_code == 200, response.content
    return response.json()["csrfToken"]


def chromium_available() -> bool:
    return bool(shutil.which(CHROMIUM)) or os.path.exists(CHROMIUM)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not chromium_available():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package.")
    return CHROMIUM


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def in_chromium(chromium_path: str, steps, *, timeout: float = 180):
    """Run `steps(browser)` with Playwright's sync API in a thread of its own and return its result.

    The sync API parks an event loop in the thread that starts it; keeping it off the test's thread leaves the
    ORM (and later async tests) unaffected."""
    from concurrent.futures import ThreadPoolExecutor

    from playwright.sync_api import sync_playwright

    def run():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            try:
                return steps(browser)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=timeout)


@pytest.fixture
def browser(chromium_path):
    """A Chromium for one test. Function-scoped: Playwright's sync API runs an event loop on this thread,
    which must be gone again before the next (possibly async) test starts."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls tests make between browser
    # steps are still plain synchronous code, so Django's async-safety guard is relaxed while it lives.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def live_asgi_server(transactional_db, tmp_path):
    """The real ASGI app (daphne: HTTP + WebSockets) on a free loopback port, on the test database.

    Yields the base URL (`http://127.0.0.1:<port>`); the server is stopped at teardown.
    """
    import re
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "twin.settings.test",
        "TEST_DATABASE_URL": (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                              f"{db['PORT'] or 5432}/{db['NAME']}"),
        "TEST_REDIS_URL": settings.REDIS_URL or os.environ.get("TEST_REDIS_URL", ""),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the server keeps Django's async-safety guard
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("live_asgi_server needs PostgreSQL (an in-memory SQLite database cannot be shared)")
    log = tmp_path / "daphne.log"
    daphne = str(Path(sys.executable).with_name("daphne"))
    with log.open("w") as out:
        process = subprocess.Popen([daphne, "-b", "127.0.0.1", "-p", "0", "twin.asgi:application"],
                                   cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            port = None
            while port is None and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                found = re.search(r"Listening on TCP address 127\.0\.0\.1:(\d+)", log.read_text())
                port = int(found.group(1)) if found else None
                time.sleep(0.1)
            assert port, log.read_text()
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_process(process, timeout=15)


def rate_window_fresh(*, key_value: str, period: int = 60, min_seconds: float = 20) -> None:
    """Wait for the next fixed rate-limit window when the current one has under `min_seconds` left.

    django-ratelimit counts in fixed windows whose start depends on the key's value (an IP, a user id), so a
    test that makes N counted requests must not straddle a window boundary."""
    import time

    from django_ratelimit.core import _get_window

    left = _get_window(key_value, period) - time.time()
    if left < min_seconds:
        time.sleep(left + 1.2)  # the boundary second itself still counts toward the old window


def query_plan(sql: str) -> list[dict]:
    """The nodes of `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` for one captured statement (PostgreSQL),
    outermost first, each a dict of EXPLAIN's fields ("Node Type", "Index Name", "Index Cond", "Filter",
    "Rows Removed by Filter", "Actual Rows", "Shared Hit Blocks" …)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        root = cursor.fetchone()[0][0]["Plan"]
    nodes, pending = [], [root]
    while pending:
        node = pending.pop(0)
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    return nodes


def captured_sql(queries, *, table: str) -> str:
    """The one captured statement that reads FROM `table` (a `CaptureQueriesContext` or django_assert_*)."""
    found = [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]
    assert len(found) == 1, found
    return found[0]
