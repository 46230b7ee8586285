"""The compiled engine (``apps.bias.engine.native``): the same output as the Python it is built from, bit
for bit, and never a binary built from other source.

The identity test runs the same workloads twice: here, on the compiled modules, and in a child process with
``TWIN_ENGINE_PURE=1``, on the ``.py`` files, and compares every output line (tags with their evidence and
confidence as ``repr``, positions, the disposition effect, the tags of a partial rescore). CI sets
``TWIN_REQUIRE_COMPILED_ENGINE=1``: there the compiled engine must be what the suite runs on."""
from __future__ import annotations

import gc
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from apps.bias.engine import RuleInput, native, score_trades
from apps.bias.engine.calibration import CALIBRATION_KIND
from benchmarks.scoring import START, make_candles, make_trades

ROOT = Path(__file__).resolve().parents[4]


def _rules(case: str) -> list[RuleInput]:
    if case == "none":
        return []
    if case == "spike and hold":
        return [RuleInput("avoidSpikeOverPct", {"pct": 5, "lookbackHours": 24}), RuleInput("minHoldHours", {"hours": 4})]
    return [  # every kind, one unusable, and calibrated lines
        RuleInput("avoidSpikeOverPct", {"pct": 3, "lookbackHours": 6}), RuleInput("minHoldHours", {"hours": 12}),
        RuleInput("maxTradesPerDay", {"count": 4}), RuleInput("cooldownAfterLosses", {"losses": 2, "hours": 6}),
        RuleInput("stopLossPct", {"pct": 2}), RuleInput("maxLossPerDay", {"amount": 100}),
        RuleInput("minHoldHours", {"hours": "soon"}),
        RuleInput(CALIBRATION_KIND, {"thresholds": {"FOMO_RSI": {"value": 66.0}, "PANIC_DRAWDOWN": {"value": 0.05},
                                                    "OVERTRADING_MULTIPLE": {"value": 2.5}}}),
    ]


WORKLOADS = [  # (trades, symbols, days, candle seed, trade seed, rules)
    (2500, 4, 60, 21, 22, "every kind"),
    (2000, 3, 45, 23, 24, "spike and hold"),
    (1200, 2, 30, 25, 26, "none"),
]


def _history(trades, symbols, days, candle_seed, trade_seed):
    """The benchmark's generator, then some trades the generator never makes: a fee in the base asset, a
    fee in a third asset, no fee, a sale of units never bought, a planned stop's sale."""
    candles = make_candles(symbols, days, seed=candle_seed)
    history = make_trades(candles, trades, seed=trade_seed)
    for k in range(0, len(history), 97):
        t = history[k]
        history[k] = (replace(t, fee_asset=t.symbol.split("-")[0], fee=Decimal("0.0001")) if k % 3 == 0
                      else replace(t, fee_asset="BNB") if k % 3 == 1 else replace(t, fee=None))
    history.append(replace(history[5], id="orphan", side="SELL", ts=history[5].ts + timedelta(seconds=1)))
    return candles, history


def output_lines() -> list[bytes]:
    lines = []
    for trades, symbols, days, candle_seed, trade_seed, case in WORKLOADS:
        candles, history = _history(trades, symbols, days, candle_seed, trade_seed)
        rules = _rules(case)
        sales = [t for t in history if t.side == "SELL"]
        for intent, (sale, stop) in enumerate(((sales[-1], 0.999), (sales[len(sales) // 2], 1.001))):  # kept, broken
            rules.append(RuleInput("plannedStop", {"intentId": f"i{intent}", "symbol": sale.symbol, "direction": "long",
                                                   "stop": float(sale.price) * stop, "exitPrice": float(sale.price)}))
        full = score_trades(trades=history, candles=candles, rules=rules,
                            disposition_since=START + timedelta(days=5), disposition_until=START + timedelta(days=25))
        part = score_trades(trades=history, candles=candles, rules=rules,
                            target_ids={t.id for t in history[len(history) // 2:]})
        for result in (full, part):
            lines += [orjson.dumps([tag.trade_id, tag.label, repr(tag.confidence), tag.features], default=str)
                      for tag in result.tags]
            lines += [repr(position).encode() for _, position in sorted(result.positions.items())]
            lines.append(repr(sorted(result.disposition.items())).encode())
    return lines


def digest() -> dict:
    lines = output_lines()
    return {"status": native.status(), "lines": len(lines), "sha256": hashlib.sha256(b"\n".join(lines)).hexdigest()}


def test_the_compiled_engine_is_in_use_where_it_is_required():
    if os.environ.get("TWIN_REQUIRE_COMPILED_ENGINE", "") in ("", "0"):
        pytest.skip("TWIN_REQUIRE_COMPILED_ENGINE is not set: the engine may run as Python here")
    assert set(native.status().values()) == {"compiled"}


def test_the_compiled_engine_gives_the_pythons_output_bit_for_bit():
    if set(native.status().values()) != {"compiled"}:
        pytest.skip("the engine is not compiled here (python -m apps.bias.engine.compile builds it)")
    compiled = digest()
    env = {**os.environ, "TWIN_ENGINE_PURE": "1"}
    child = subprocess.run(
        [sys.executable, "-c", "import json; from apps.bias.tests.engine.test_native import digest; "
                               "print(json.dumps(digest()))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True)
    reference = json.loads(child.stdout.strip().splitlines()[-1])
    assert set(reference["status"].values()) == {"source"}
    assert compiled["lines"] == reference["lines"] > 2 * sum(w[0] for w in WORKLOADS)
    assert compiled["sha256"] == reference["sha256"]


def test_a_binary_is_used_only_for_the_source_it_was_built_from(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_ENGINE_BUILD_DIR", str(tmp_path))
    finder = native.CompiledEngineFinder()
    name = f"{native.PACKAGE}.heuristics"
    assert finder.find_spec(name, None) is None  # nothing built: the .py file

    built = native.binary_path("heuristics")
    built.write_bytes(b"")
    spec = finder.find_spec(name, None)
    assert spec is not None and Path(spec.origin) == built
    assert spec.loader.__class__.__name__ == "ExtensionFileLoader"

    source = (native.HERE / "heuristics.py").read_bytes()
    assert native.binary_path("heuristics", source + b"\n# edited\n") != built  # an edit: another name
    built.rename(native.binary_path("heuristics", source + b"\n# edited\n"))
    assert finder.find_spec(name, None) is None  # a binary of other source is never loaded

    monkeypatch.setenv("TWIN_ENGINE_PURE", "1")
    native.binary_path("heuristics").write_bytes(b"")
    assert finder.find_spec(name, None) is None  # the reference run ignores binaries
    assert finder.find_spec(f"{native.PACKAGE}.reflections", None) is None  # only the listed modules
    assert importlib.util.find_spec(f"{native.PACKAGE}.native").origin.endswith("native.py")


def test_without_a_compiler_the_engine_runs_as_python_and_nothing_is_written(tmp_path):
    env = {**os.environ, "TWIN_ENGINE_BUILD_DIR": str(tmp_path), "CC": "false"}
    compile_ = [sys.executable, "-m", "apps.bias.engine.compile"]
    soft = subprocess.run(compile_, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert soft.returncode == 0
    assert "Scoring engine not compiled (CompileError" in soft.stdout
    strict = subprocess.run([*compile_, "--strict"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert strict.returncode == 1 and "not compiled" in strict.stdout
    assert list(tmp_path.iterdir()) == []  # no binary, no scratch left behind
    child = subprocess.run([sys.executable, "-c", "import json; from apps.bias.engine import native; "
                                                  "print(json.dumps(native.status()))"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True)
    assert set(json.loads(child.stdout).values()) == {"source"}


def test_a_walk_leaves_no_reference_cycles():
    """Scoring runs with the cyclic collector off (``gc_paused``): what a walk lets go must be freed by
    reference counting, or every trade's context stays until the collector is back (compiled, a function
    nested in a heuristic and called from its explain lambdas formed such a cycle per trade: ~230 MB more
    at the peak of a 100,000-trade walk). Whichever build is in use here, compiled or Python."""
    def engine_object(obj) -> bool:
        module = getattr(obj, "__module__", None) or type(obj).__module__ or ""
        return isinstance(module, str) and module.startswith("apps.bias.engine")

    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        lines = output_lines()
        del gc.garbage[:]
        gc.collect()
        cyclic = [obj for obj in gc.garbage if engine_object(obj)]
    finally:
        gc.set_debug(0)
        del gc.garbage[:]
        if enabled:
            gc.enable()
    assert len(lines) > 2 * sum(w[0] for w in WORKLOADS)
    assert cyclic == [], f"{len(cyclic)} engine objects in reference cycles, e.g. {cyclic[:3]!r}"
