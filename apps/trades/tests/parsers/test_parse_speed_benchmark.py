"""Smoke test of benchmarks/parse_speed.py on a handful of rows (the timing itself is not asserted)."""
from __future__ import annotations

from benchmarks.parse_speed import FORMATS, run


def test_the_benchmark_parses_every_generated_layout_without_errors():
    report = run(rows=40, repeat=1)

    assert report["benchmark"] == "parse_speed"
    assert set(report["formats"]) == set(FORMATS)
    for measured in report["formats"].values():
        assert measured["rows"] == 40
        assert measured["parseSeconds"] > 0 and measured["csvReaderSeconds"] > 0
    assert report["formats"]["coinbase_pro_fills"]["trades"] == 40
