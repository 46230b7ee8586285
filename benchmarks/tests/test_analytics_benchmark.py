"""Smoke test of the analytics benchmark (tiny workload; no timing assertions)."""
from __future__ import annotations

from benchmarks import analytics


def test_analytics_benchmark_reports_every_endpoint_and_the_baseline(capsys):
    report = analytics.main(["--trades", "400", "--requests", "4", "--concurrency", "2"])
    assert '"benchmark": "analytics"' in capsys.readouterr().out
    assert report["trades"] == 400
    assert set(report["endpoints"]) == set(analytics.ENDPOINTS)
    assert all(e["requests"] == 4 and e["p95_ms"] > 0 for e in report["endpoints"].values())
    assert report["baseline_per_trade"]["summary_ms"] > 0
