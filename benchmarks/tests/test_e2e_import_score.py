"""Smoke test of the end-to-end benchmark at a tiny size: every stored trade is tagged and pushed."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parent.parent.parent


def test_e2e_import_score_smoke():
    done = subprocess.run([sys.executable, "-m", "benchmarks.e2e_import_score", "--sizes", "40"], cwd=ROOT,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["machine"]["cpus"] >= 1
    [result] = report["results"]
    assert result["import_status"] == "done"
    assert result["trades_stored"] == result["trades_tagged"] == result["coach_reflect_received"] > 0
    assert result["pushed_s"] is not None and result["tagged_s"] is not None
    assert result["baseline"]["engine_only"]["trades"] == result["trades_stored"]
