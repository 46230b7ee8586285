"""Smoke test of the scoring benchmark (tiny workload; no timing assertions)."""
from __future__ import annotations

from benchmarks import scoring


def test_scoring_benchmark_reports_engine_and_baseline(capsys):
    report = scoring.main(["--trades", "400", "--symbols", "2", "--days", "12", "--repeat", "1", "--baseline-sample", "5"])
    printed = capsys.readouterr().out
    assert '"benchmark": "scoring"' in printed
    assert report["workload"]["trades"] == 400
    assert report["engine"]["trades_per_s"] > 0
    assert report["baseline_naive_per_trade"]["sample_trades"] == 5
    assert report["tags"]["total"] >= 400
    assert set(report["machine"]) >= {"python", "cpus", "platform"}
