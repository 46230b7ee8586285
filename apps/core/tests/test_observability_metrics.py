"""`/metrics`: the token gate, the HTTP, job, outbox and queue metrics, and several processes."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from apps.core.observability.metrics import metrics_render

TOKEN = "metrics-test-token-0123456789"  # noqa: S105


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


@pytest.mark.django_db
def test_metrics_do_not_exist_while_no_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "])
def test_metrics_refuse_a_missing_or_wrong_token(client, metrics_on, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}

    response = client.get("/metrics", **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
def test_http_requests_are_counted_by_route_template_and_status(client, metrics_on):
    before = scrape(client)
    key = ("twin_http_requests_total", (("method", "GET"), ("route", "healthz"), ("status", "200")))
    missing = ("twin_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))

    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/no/such/page-404").status_code == 404
    after = scrape(client)

    assert after[key] - before.get(key, 0) == 3
    assert after[missing] - before.get(missing, 0) == 1
    count = ("twin_http_request_duration_seconds_count", (("method", "GET"), ("route", "healthz")))
    assert after[count] - before.get(count, 0) == 3
    assert ("twin_http_request_duration_seconds_bucket", (("le", "0.8"), ("method", "GET"), ("route", "healthz"))) in after


@pytest.mark.django_db
def test_jobs_are_reported_by_kind_and_status(client, metrics_on, user):
    ScoringRun = apps.get_model("bias", "ScoringRun")  # noqa: N806 - a job model of a higher app, by label
    ScoringRun.objects.create(user=user, source="test:1", status="queued")
    ScoringRun.objects.create(user=user, source="test:2", status="parked", error="gave up")
    ScoringRun.objects.create(user=user, source="test:3", status="parked", error="gave up")

    found = scrape(client)

    assert found[("twin_jobs", (("kind", "bias.scoringrun"), ("status", "queued")))] == 1
    assert found[("twin_jobs", (("kind", "bias.scoringrun"), ("status", "parked")))] == 2
    assert found[("twin_jobs", (("kind", "bias.scoringrun"), ("status", "running")))] == 0
    assert found[("twin_jobs", (("kind", "trades.importjob"), ("status", "done")))] == 0


@pytest.mark.django_db
@pytest.mark.redis
def test_celery_queue_depth_is_read_from_the_broker(client, metrics_on):
    from twin.celery import app

    app.connection_for_write().default_channel.client.delete("sim", "digest")
    try:
        for _ in range(2):
            app.send_task("core.jobs_reap", queue="sim")
        app.send_task("core.jobs_reap", queue="digest")

        found = scrape(client)

        assert found[("twin_celery_queue_depth", (("queue", "sim"),))] == 2
        assert found[("twin_celery_queue_depth", (("queue", "digest"),))] == 1
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.client.delete("sim", "digest")


@pytest.mark.django_db
def test_a_finished_import_counts_its_trades_and_its_duration(client, metrics_on, user,
                                                              django_capture_on_commit_callbacks):
    ImportJob = apps.get_model("trades", "ImportJob")  # noqa: N806
    job = ImportJob.objects.create(id="h19-import-1", user=user, broker="csv", source="upload")
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=42))
    job.refresh_from_db()
    before = scrape(client)

    with django_capture_on_commit_callbacks(execute=True):
        job.status, job.inserted, job.finished_at = "done", 17, timezone.now()
        job.save(update_fields=["status", "inserted", "finished_at"])
        job.save(update_fields=["inserted"])  # a later write to a finished job is not a second finish

    after = scrape(client)
    assert after[("twin_trades_imported_total", ())] - before.get(("twin_trades_imported_total", ()), 0) == 17
    count = ("twin_job_duration_seconds_count", (("kind", "trades.importjob"), ("status", "done")))
    assert after[count] - before.get(count, 0) == 1
    le_60 = ("twin_job_duration_seconds_bucket", (("kind", "trades.importjob"), ("le", "60.0"), ("status", "done")))
    le_30 = ("twin_job_duration_seconds_bucket", (("kind", "trades.importjob"), ("le", "30.0"), ("status", "done")))
    assert after[le_60] - before.get(le_60, 0) == 1
    assert after[le_30] - before.get(le_30, 0) == 0


MULTIPROCESS_CHILD = """
import os, sys
from prometheus_client import Counter
requests = Counter("twin_probe_child", "one increment per child process")
requests.inc(int(sys.argv[1]))
"""


def test_several_processes_are_summed_in_multiprocess_mode(tmp_path):
    directory = tmp_path / "prom"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    for increment in (2, 5):
        subprocess.run([sys.executable, "-c", MULTIPROCESS_CHILD, str(increment)], env=env, check=True, timeout=60)
    render = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'twin.settings.test'); django.setup();"
        "from apps.core.observability.metrics import metrics_render;"
        "import sys; sys.stdout.write(metrics_render(include_sources=False).decode())"
    )
    result = subprocess.run([sys.executable, "-c", render], env=env, cwd=settings.BASE_DIR, check=True,
                            capture_output=True, text=True, timeout=120)

    assert samples(result.stdout)[("twin_probe_child_total", ())] == 7


def test_without_multiprocess_mode_a_process_reports_its_own_samples():
    text = metrics_render(include_sources=False).decode()

    assert "# TYPE twin_http_request_duration_seconds histogram" in text
    assert "twin_probe_child" not in text
