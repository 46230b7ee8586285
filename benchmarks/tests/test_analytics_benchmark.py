"""Smoke test of the analytics benchmark at a tiny size (its own process and database; no timing assertions)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import analytics

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parent.parent.parent


def test_analytics_benchmark_reports_every_endpoint_and_the_baseline():
    done = subprocess.run([sys.executable, "-m", "benchmarks.analytics", "--trades", "400", "--requests", "4",
                           "--concurrency", "2"], cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["benchmark"] == "analytics" and report["trades"] == 400
    assert set(report["endpoints"]) == set(analytics.ENDPOINTS)
    assert all(e["requests"] == 4 and e["p95_ms"] > 0 for e in report["endpoints"].values())
    assert report["baseline_per_trade"]["summary_ms"] > 0
