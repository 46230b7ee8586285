"""The engine's output, byte for byte, on fixed random workloads: speed work must not move a label, a
confidence, a word of evidence or a FIFO figure.

The digests were taken from the engine before its per-trade loop was reworked for speed (engine 1.1.0).
A change that is meant to alter the output (a new heuristic, new evidence) updates them on purpose, with
the engine version; any other change must leave them as they are."""
from __future__ import annotations

import hashlib

import orjson
import pytest

from apps.bias.engine import ENGINE_VERSION, RuleInput, score_trades
from benchmarks.scoring import make_candles, make_trades

WORKLOADS = {
    # name: (trades, symbols, days, candle seed, trade seed, rules, digest)
    "spike and hold rules": (3000, 4, 60, 3, 5, [RuleInput("avoidSpikeOverPct", {"pct": 5, "lookbackHours": 24}),
                                                  RuleInput("minHoldHours", {"hours": 4})],
                             "da4e09130da67d23158c36508b10b40caf477a25c5f6c7143d199ce5ce052726"),
    "trades per day and cooldown": (2000, 3, 40, 4, 6, [RuleInput("maxTradesPerDay", {"count": 3}),
                                                        RuleInput("cooldownAfterLosses", {"losses": 2, "hours": 6})],
                                    "8262bd90c34ed008c01e31e308032a72a1c9a0826ed09389b01be3d77bf5575c"),
    "no rules": (1500, 2, 30, 5, 7, [], "d68377a08e8819b5aafe72c1ae42c13a0383428a11f214c14058d6273436d214"),
}


def output_lines(trades: int, symbols: int, days: int, candle_seed: int, trade_seed: int, rules: list) -> list[bytes]:
    candles = make_candles(symbols, days, seed=candle_seed)
    history = make_trades(candles, trades, seed=trade_seed)
    result = score_trades(trades=history, candles=candles, rules=rules)
    lines = [orjson.dumps([tag.trade_id, tag.label, repr(tag.confidence), tag.features], default=str)
             for tag in result.tags]
    lines += [repr(position).encode() for _, position in sorted(result.positions.items())]
    lines.append(repr(sorted(result.disposition.items())).encode())
    return lines


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_the_engine_output_is_unchanged(name):
    *workload, digest = WORKLOADS[name]
    lines = output_lines(*workload)
    assert ENGINE_VERSION == "1.1.0"
    assert len(lines) > workload[0]  # a tag at least per trade, a position per trade
    assert hashlib.sha256(b"\n".join(lines)).hexdigest() == digest
