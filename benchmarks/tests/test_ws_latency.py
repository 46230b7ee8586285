"""Smoke run of the WebSocket latency benchmark: tiny, checks the wiring and the JSON, not the figures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent


def test_ws_latency_smoke_reports_every_delivery_with_one_and_two_relays():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.ws_latency", "--clients", "10", "--rate", "10", "--duration", "1",
         "--backlog", "20", "--drain-backlog", "20", "--relays", "2", "--drain-trials", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["config"]["clients"] == 10 and result["config"]["users"] == 2
    assert result["config"]["relays"] == 2
    assert result["config"]["server"] == "gunicorn" and result["config"]["webProcesses"] == 2
    phases = [result["relays"]["1"]["steady"], result["relays"]["2"]["steady"], result["baseline_raw_group_send"],
              result["baseline_raw_publish"]]
    for phase in phases:
        assert phase["events"] == 10
        assert phase["deliveries"] == 50
        assert phase["lost"] == 0
        assert 0 < phase["p50_ms"] <= phase["p99_ms"]
    for relays in ("1", "2"):
        capacity = result["relays"][relays]["capacity"]
        assert capacity["events"] == 20 and capacity["deliveries"] == 100 and capacity["lost"] == 0
    assert result["relays"]["1"]["partitionsHeld"] == [16]
    assert result["relays"]["2"]["partitionsHeld"] == [8, 8]
    assert set(result["scaleout"]) == {"relay_drain_ratio", "meets_scaleout_goal", "relay_publish_ratio",
                                       "socket_delivery_ratio"}
    for relays, held in (("1", [16]), ("2", [8, 8])):
        capacity = result["relays"][relays]["capacity"]
        # CPU seconds by part of the topology (the clock ticks are 10 ms: a tiny run may show 0 anywhere)
        assert set(capacity["cpuSeconds"]) == {"relays", "relayDatabase", "otherDatabase", "web", "clients", "redis"}
        assert all(seconds >= 0 for seconds in capacity["cpuSeconds"].values())
        [trial] = result["relay_drain"][relays]["trials"]  # one trial each, without sockets
        assert trial["events"] == 20 and trial["partitionsHeld"] == held and trial["events_per_s"] > 0
        assert result["relay_drain"][relays]["median_events_per_s"] == trial["events_per_s"]
    assert result["goal"] == {"p99_ms": 100.0, "deliveries_per_s": 1000.0, "relay_scaleout": 1.6}
