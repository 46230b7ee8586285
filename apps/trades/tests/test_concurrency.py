"""Several uploads started back to back while scoring runs: every job ends done, every trade is stored
once and labelled, and each job hands its trades to scoring exactly once — on PostgreSQL with the
in-process runner's threads here, and on the embedded default (SQLite, a real daphne) below."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.bias.models import BiasTag, ScoringRun
from apps.events.testing import ROOT, start_daphne, stop_process
from apps.trades.models import ImportJob, Trade
from apps.trades.testing import fills_csv

FILES, FILLS = 5, 24


def _wait(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_uploads_back_to_back_on_postgres_all_end_done_labelled_and_scored_once(
        stub_exchange, user, api_client, settings):
    settings.JOBS_IN_PROCESS = True
    end = stub_exchange.state.anchor - timedelta(hours=2)

    job_ids = []
    for file_no in range(FILES):
        upload = SimpleUploadedFile(f"fills-{file_no}.csv", fills_csv(file_no=file_no, count=FILLS, end=end))
        response = api_client.post("/api/trades/upload", {"file": upload}, format="multipart")
        assert response.status_code == 202, response.content
        job_ids.append(response.json()["jobId"])

    def settled() -> bool:
        trades = Trade.objects.filter(user=user).count()
        return (not ImportJob.objects.filter(user=user).exclude(status="done").exists()
                and not ScoringRun.objects.filter(user=user).exclude(status="done").exists()
                and trades == FILES * FILLS
                and BiasTag.objects.filter(trade__user=user).values("trade_id").distinct().count() == trades)

    _wait(settled, timeout=180, what="every job done and every trade labelled")

    assert len(set(job_ids)) == FILES
    assert Trade.objects.filter(user=user).values("ext_id").distinct().count() == FILES * FILLS
    assert sorted(ScoringRun.objects.filter(user=user).values_list("source", flat=True)) == sorted(
        f"import:{job_id}" for job_id in job_ids)


def _embedded_env(tmp_path) -> tuple[dict, object]:
    database = tmp_path / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "TWIN_REQUIRE_SERVICES")}
    env.update(DJANGO_SETTINGS_MODULE="twin.settings.local", DATABASE_URL=f"sqlite:///{database}", REDIS_URL="",
               PYTHONUNBUFFERED="1", LOG_LEVEL="WARNING", RATELIMIT_ENABLE="0", JOB_LEASE_SECONDS="3",
               JOB_REAPER_INTERVAL_SECONDS="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    return env, database


@pytest.fixture
def embedded(tmp_path):
    env, database = _embedded_env(tmp_path)
    process, port = start_daphne(env=env)
    try:
        yield f"http://127.0.0.1:{port}", database
    finally:
        stop_process(process)


def _signed_up(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = client.get("/api/auth/csrf").json()["csrfToken"]
    signup = client.post("/api/auth/signup", json={"email": "five@example.com", "password": "a-long-passphrase-7"},
                         headers={"X-CSRFToken": token})
    assert signup.status_code == 201, signup.text
    client.headers["X-CSRFToken"] = client.get("/api/auth/csrf").json()["csrfToken"]
    client.headers["Referer"] = base + "/upload/"
    return client


@pytest.mark.slow
def test_uploads_back_to_back_on_the_embedded_default_all_end_done_and_labelled(embedded):
    base, database = embedded
    client = _signed_up(base)
    end = datetime.now(UTC) - timedelta(hours=2)

    job_ids = []
    for file_no in range(FILES):  # each POST goes out as soon as the previous one answered
        response = client.post("/api/trades/upload",
                               files={"file": (f"f{file_no}.csv", fills_csv(file_no=file_no, count=FILLS, end=end))})
        assert response.status_code == 202, response.text
        job_ids.append(response.json()["jobId"])

    def jobs() -> list[dict]:
        return [client.get(f"/api/trades/import/{job_id}").json() for job_id in job_ids]

    def labelled() -> list[dict]:
        rows, cursor = [], None
        while True:
            page = client.get("/api/bias/trades", params={"limit": 100, **({"cursor": cursor} if cursor else {})})
            body = page.json()
            rows += body["results"]
            cursor = body["nextCursor"]
            if not cursor:
                return rows

    _wait(lambda: all(job["status"] == "done" for job in jobs()), timeout=180, what="every import done")
    _wait(lambda: all(row["labels"] for row in labelled()) and len(labelled()) == FILES * FILLS, timeout=180,
          what="every trade labelled")

    def runs() -> list[tuple[str, str]]:
        with sqlite3.connect(database) as db:
            return sorted(db.execute("SELECT source, status FROM bias_scoringrun"))

    # a run's tags are committed before the run itself is marked done (the read model's listeners come in
    # between): the last trade can be labelled a moment before its run ends
    _wait(lambda: {status for _, status in runs()} == {"done"}, timeout=60, what="every scoring run done")

    assert [job["counts"]["inserted"] for job in jobs()] == [FILLS] * FILES
    assert [source for source, _ in runs()] == sorted(f"import:{job_id}" for job_id in job_ids)


@pytest.mark.slow
def test_the_embedded_default_killed_mid_import_resumes_after_a_restart_and_labels_everything(tmp_path):
    env, database = _embedded_env(tmp_path)
    process, port = start_daphne(env=env)
    try:
        client = _signed_up(f"http://127.0.0.1:{port}")
        response = client.post("/api/trades/upload", files={
            "file": ("big.csv", fills_csv(file_no=1, count=20_000, end=datetime.now(UTC) - timedelta(hours=2)))})
        job_id = response.json()["jobId"]
        _wait(lambda: client.get(f"/api/trades/import/{job_id}").json()["pages"] >= 2, timeout=120,
              what="two stored pages")
    finally:
        process.kill()  # the web process dies mid-import, its in-process runner with it
        process.wait(10)
    with sqlite3.connect(database) as db:
        status, pages = db.execute("SELECT status, pages FROM trades_importjob WHERE id = ?", (job_id,)).fetchone()
    assert status == "running" and 2 <= pages < 20

    process, port = start_daphne(env=env, port=port)
    try:
        client.get("/login/")  # the first request starts the relay and the job reaper
        _wait(lambda: client.get(f"/api/trades/import/{job_id}").json()["status"] == "done", timeout=120,
              what="the import to finish")
        job = client.get(f"/api/trades/import/{job_id}").json()
        assert (job["counts"]["inserted"], job["counts"]["duplicates"], job["pages"], job["attempts"]) == (
            20_000, 0, 20, 2)
        with sqlite3.connect(database) as db:
            _wait(lambda: db.execute("SELECT count(DISTINCT trade_id) FROM bias_biastag").fetchone()[0] == 20_000,
                  timeout=180, what="every trade labelled")
            assert db.execute("SELECT count(*) FROM trades_trade").fetchone()[0] == 20_000
    finally:
        stop_process(process)
