"""Smoke test of the simulations benchmark (tiny workload; no timing assertions)."""
from __future__ import annotations

import pytest

from benchmarks import simulations

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def test_simulations_benchmark_reports_both_parts_and_their_baselines():
    report = simulations.run(trades=200, symbols=2, days=12, sims=20, baseline_sample=5)

    assert report["benchmark"] == "simulations"
    assert report["workload"]["trades"] == 200 and report["workload"]["simulations"] == 20
    single = report["single"]
    assert single["engine_s"] > 0 and single["service_s"] > 0 and single["service_cached_s"] > 0
    assert single["service_answered_done"] == 20  # every simulation computed through the service
    assert single["service_one_request_each"]["sample"] == 5 and single["service_one_request_each"]["per_sim_ms"] > 0
    assert single["goal_s"] == 1.0 and isinstance(single["service_meets_goal"], bool)
    assert report["single"]["baseline_naive"]["sample"] == 5
    assert report["backtest"]["cold_s"] > 0
    assert report["backtest"]["baseline_naive_queries_per_trade"]["sample"] == 5
    assert set(report["machine"]) >= {"python", "cpus", "platform", "load_before", "load"}
