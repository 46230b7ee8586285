"""Smoke test of the gate benchmark at a tiny size: every intent is decided and its decision reaches the socket."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parent.parent.parent


def test_gate_latency_smoke():
    done = subprocess.run([sys.executable, "-m", "benchmarks.gate_latency", "--intents", "6", "--rate", "5"], cwd=ROOT,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["errors"] == []
    assert report["post_to_decision_on_socket"]["count"] == 6
    assert report["post_to_decision_on_socket"]["lost"] == 0
    assert sum(report["decisions"].values()) == 6
    assert report["baseline_commit_to_socket"]["lost"] == 0
