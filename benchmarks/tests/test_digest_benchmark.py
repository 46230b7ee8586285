"""Smoke test of the digest benchmark (tiny workload; no timing assertions)."""
from __future__ import annotations

import pytest

from benchmarks import digest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]


def test_digest_benchmark_builds_every_users_digest_and_measures_the_baseline():
    report = digest.run(users=4, trades=12, baseline_sample=2)

    assert report["benchmark"] == "digest" and (report["users"], report["tradesPerUser"]) == (4, 12)
    assert report["scheduled"]["digests"] == 4 and report["scheduled"]["statuses"] == {"done": 4}
    assert (report["scheduled"]["events"], report["scheduled"]["emails"]) == (4, 4)
    assert report["baseline_naive_per_trade"]["sample"] == 2
    assert set(report["machine"]) >= {"python", "cpus", "platform", "load"}
