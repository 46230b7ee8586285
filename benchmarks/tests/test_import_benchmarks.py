"""Smoke tests of the import benchmarks: tiny workloads in a child process, no timing assertions."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _run(module: str, *args: str) -> dict:
    pg_url = "postgres://{USER}@{HOST}:{PORT}".format(**{k: settings.DATABASES["default"].get(k) or d for k, d in
                                                         (("USER", "postgres"), ("HOST", "127.0.0.1"),
                                                          ("PORT", "5432"))})
    completed = subprocess.run([sys.executable, "-m", module, "--pg-url", pg_url, *args], cwd=settings.BASE_DIR,
                               capture_output=True, text=True, timeout=240)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def test_import_throughput_reports_ours_copy_and_naive():
    report = _run("benchmarks.import_throughput", "--rows", "600", "--page", "250", "--naive-sample", "30",
                  "--db-name", "twin_bench_imp_smoke")

    assert report["benchmark"] == "import_throughput"
    assert report["ours"]["inserted"] == 600
    assert report["rerun_all_duplicates"]["duplicates"] == 600
    assert report["copy"]["rows_per_s"] > 0 and report["naive_update_or_create"]["rows_per_s"] > 0
    assert report["ratios"]["ours_vs_copy"] > 0
    cpu_ratio = report["ratios"]["ours_vs_copy_cpu"]  # None only when the server's CPU cannot be read
    assert report["goal"]["met_on_cpu"] == (cpu_ratio is not None and cpu_ratio >= 0.8)
    assert report["goal"]["met"] == (report["ratios"]["ours_vs_copy"] >= 0.8)


def test_import_e2e_stores_every_stub_trade():
    report = _run("benchmarks.import_e2e", "--sizes", "120", "--db-name", "twin_bench_imp_smoke")

    (result,) = report["results"]
    assert (result["trades"], result["stored"], result["pages"]) == (120, 120, 1)
    assert result["import_s"] > 0
