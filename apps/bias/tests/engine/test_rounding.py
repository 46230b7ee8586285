"""The engine's fast rounding gives ``round``'s value, bit for bit."""
from __future__ import annotations

import math
import random
import struct

import pytest

from apps.bias.engine.heuristics import round4, round_to_4, round_to_6


def _same(a, b) -> bool:
    return type(a) is type(b) and (a == b or (a != a and b != b)) and math.copysign(1, a) == math.copysign(1, b)


def _samples(places: int, count: int = 200_000) -> list:
    rng = random.Random(places)
    scale = 10 ** places
    values = [0.0, -0.0, 0.5, -0.5, 0.75, 1.0, 1e-9, -1e-9, 5e-5, -5e-5, 4e-5, -4e-5, 6e-5, -6e-5, 1e300, -1e300,
              math.inf, -math.inf, math.nan, 1e5, -1e5, 99999.99995, 1234.56785, 2.675, 0.00015, -0.00025]
    for _ in range(count):
        kind = rng.random()
        if kind < 0.3:
            values.append(rng.random())
        elif kind < 0.5:
            values.append(rng.uniform(-2000, 2000))
        elif kind < 0.7:  # ties and near ties: k + 0.5 ulp-ish, either side
            tie = (rng.randrange(-10**7, 10**7) + 0.5) / scale
            values.append(math.nextafter(tie, rng.choice((math.inf, -math.inf))) if rng.random() < 0.5 else tie)
        elif kind < 0.8:
            values.append(rng.uniform(-1e-3, 1e-3))
        elif kind < 0.9:
            values.append(rng.uniform(-1e6, 1e6))
        else:  # any double
            values.append(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0])
    return values


@pytest.mark.parametrize("places, fast", [(4, round_to_4), (6, round_to_6)])
def test_fast_rounding_is_round_bit_for_bit(places, fast):
    for x in _samples(places):
        assert _same(fast(x), round(x, places)), x


def test_non_floats_are_left_to_round():
    assert round_to_4(5) == 5 and type(round_to_4(5)) is int
    assert round_to_6(True) == 1 and type(round_to_6(True)) is int
    assert round4(0.75) == 0.75 and round4(0.123456) == 0.1235
