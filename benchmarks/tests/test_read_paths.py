"""Smoke run of the read-path benchmark at a tiny size: the wiring and the JSON, not the figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import read_paths

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(900)]  # its servers boot slowly on a busy machine

ROOT = Path(__file__).resolve().parent.parent.parent


def test_read_paths_benchmark_reports_every_endpoint_the_scaling_and_the_baselines():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.read_paths",
            "--trades",
            "1200",
            "--deep-pages",
            "10",
            "--requests",
            "12",
            "--clients",
            "3",
            "--per-connection",
            "2",
            "--scaling-trials",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["benchmark"] == "read_paths" and report["trades"] == 1200 and report["processes"] == 2
    assert set(report["endpoints"]) == set(read_paths.ENDPOINTS)
    for name, endpoint in report["endpoints"].items():
        assert endpoint["requests"] == 12 and endpoint["statuses"] == {"200": 12}, name
        assert 0 < endpoint["p50_ms"] <= endpoint["p95_ms"] <= endpoint["p99_ms"] and endpoint["req_per_s"] > 0
        assert endpoint["server_cpu_ms_per_request"] > 0 and endpoint["client_cpu_ms_per_request"] >= 0, name
        assert endpoint["connections"] >= 6, name  # a new connection every 2 requests
    scaling = report["scaling"]
    assert len(scaling["trials"]) == 2 and len(scaling["ratios"]) == 2
    for trial in scaling["trials"]:
        assert trial["one_process"]["statuses"] == {"200": 24} and trial["2_processes"]["statuses"] == {"200": 24}
    assert min(scaling["ratios"]) <= scaling["ratio"] <= max(scaling["ratios"]) and scaling["ratio"] > 0
    assert report["baseline"]["daphne_one_process_mix"]["statuses"] == {"200": 24}
    assert set(report["baseline"]["deep_cursor_sql"]) == {"or_expanded_ms", "row_comparison_ms"}
    assert len(report["machine"]["load"]) == 3
