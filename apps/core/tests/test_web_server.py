"""The production web command (gunicorn + uvicorn workers, production settings) on the test database:
it starts WEB_CONCURRENCY processes, serves pages and the API, and reuses its database connections."""

import re

import httpx
import pytest
from django.db import connection

from apps.core.testing import free_port, production_web_env, production_web_running
from twin import gunicorn_conf

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

APP_NAME = "twin-web-test"  # how the server's database sessions are named (libpq PGAPPNAME)


@pytest.fixture
def production_web(transactional_db, tmp_path):
    """`gunicorn -c python:twin.gunicorn_conf twin.asgi:application` with 2 processes; yields (url, log)."""
    port = free_port()
    env = production_web_env(port=port, prefix="web", PGAPPNAME=APP_NAME, WEB_CONCURRENCY="2",
                             DJANGO_SECRET_KEY="test-web-server-secret-key-0123456789abcdef",
                             SESSION_HASH_PEPPER="test-pepper", DB_POOL_MAX_SIZE="3")
    log = tmp_path / "web.log"
    with production_web_running(env, log, processes=2) as url:
        yield url, log


def _server_backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        return {row[0] for row in cursor.fetchall()}


def test_the_command_runs_one_uvicorn_worker_per_web_concurrency():
    assert gunicorn_conf.worker_class == "twin.gunicorn_conf.Worker"
    assert gunicorn_conf.Worker.CONFIG_KWARGS["proxy_headers"] is False  # the app reads X-Forwarded-For itself


def test_two_processes_serve_and_reuse_their_pooled_database_connections(production_web):
    url, log = production_web
    workers = set(re.findall(r"Started server process \[(\d+)\]", log.read_text()))
    assert len(workers) == 2
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(10):  # /readyz reads the database on every request
            assert client.get("/readyz").status_code == 200
        first = _server_backends()
        for _ in range(40):
            assert client.get("/readyz").status_code == 200
        refused = client.get("/api/trades")  # the API through Django and DRF: no session, the JSON envelope
        assert refused.status_code in (401, 403) and refused.json()["error"]["code"]
    # Connections were handed back to each process's pool and taken again: none opened per request, none
    # left behind per request thread.
    assert first, "the pool closed its connections"
    assert _server_backends() == first
    assert len(first) <= 2 * 3


def test_a_worker_that_exits_leaves_the_summed_live_gauges(tmp_path, monkeypatch):
    """gunicorn's child_exit hook marks the worker dead for prometheus_client's multiprocess mode: its live gauge
    file goes, the others' stay."""
    from types import SimpleNamespace

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "gauge_livesum_4343.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    gunicorn_conf.child_exit(None, SimpleNamespace(pid=4242))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db", "gauge_livesum_4343.db"]
