"""The history features' medians (``scoring._median``, ``scoring._median_before``) are numpy's and pandas'
to the bit, including the inputs they hand back to them (NaN, infinities, zeros)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.bias.engine.scoring import _median, _median_before

sizes = st.one_of(st.floats(min_value=1e-6, max_value=1e9), st.sampled_from([1.0, 2.5, 2.5, 100.0]),
                  st.floats(allow_nan=True, allow_infinity=True), st.just(0.0), st.just(-0.0))


@settings(max_examples=400, deadline=None)
@given(st.lists(sizes, max_size=70), st.integers(1, 25), st.integers(1, 8))
def test_the_rolling_median_before_each_value_is_pandas(values, window, least):
    least = min(least, window)
    array = np.array(values, dtype=float)
    ours = _median_before(array, window, least)
    theirs = pd.Series(array).rolling(window, min_periods=least).median().shift(1).to_numpy()
    assert ours.tobytes() == theirs.tobytes()


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(st.integers(1, 60), min_size=1, max_size=31),
                 st.lists(sizes, min_size=1, max_size=31)))
def test_the_median_of_a_window_is_numpys(values):
    ours, theirs = _median(values), float(np.median(values))
    assert np.float64(ours).tobytes() == np.float64(theirs).tobytes()
