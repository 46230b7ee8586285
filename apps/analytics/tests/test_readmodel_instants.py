"""The read model searches times as epoch nanoseconds: the same positions as searching the times themselves."""
import numpy as np
import pandas as pd

from apps.analytics.services.readmodel import _instants


def test_epoch_nanoseconds_find_the_same_bars_as_the_times_themselves():
    bars = pd.date_range("2024-03-30 22:00", periods=6, freq="h", tz="UTC").as_unit("us")
    times = pd.Series(pd.to_datetime(["2024-03-30 21:59:59.999999", "2024-03-31 00:00", "2024-03-31 01:30:00.5",
                                      "2024-03-31 05:00:00.000001"], utc=True, format="ISO8601"))
    expected = [int(np.searchsorted(bars, t, side="left")) for t in times]
    assert expected == [0, 2, 4, 6]
    assert np.searchsorted(_instants(bars), _instants(times), side="left").tolist() == expected
    paris = times.dt.tz_convert("Europe/Paris")  # another zone: the same instants
    assert np.searchsorted(_instants(bars), _instants(paris), side="left").tolist() == expected
    assert _instants(bars).dtype == np.int64
