"""Smoke run of the WebSocket latency benchmark: tiny, checks the wiring and the JSON, not the figures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent


def test_ws_latency_smoke_reports_every_delivery():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.ws_latency", "--clients", "10", "--rate", "10", "--duration", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["config"]["clients"] == 10 and result["config"]["users"] == 2
    for phase in ("outbox", "baseline_raw_group_send"):
        assert result[phase]["events"] == 10
        assert result[phase]["deliveries"] == 50
        assert result[phase]["lost"] == 0
        assert 0 < result[phase]["p50_ms"] <= result[phase]["p99_ms"]
    assert result["goal"] == {"p50_ms": 50.0, "p99_ms": 250.0}
