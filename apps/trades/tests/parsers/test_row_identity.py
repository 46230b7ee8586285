"""Ids of rows the exchange gives no id: a block's ids (columns.hashed_ids) and a row's (RowIdentity.ext_id) count
the same earlier rows, whichever way each row was read."""
from __future__ import annotations

from apps.trades.parsers import columns
from apps.trades.parsers.base import RowIdentity


def _one_by_one(keys: list[str]) -> list[str]:
    identity = RowIdentity("bnc")
    return [identity.ext_id(key) for key in keys]


def test_blocks_and_rows_number_repeated_keys_alike():
    keys = ["a|1", "b|2", "c|3", "a|1", "d|4", "b|2", "a|1", "e|5"]
    expected = _one_by_one(keys)
    assert len(set(expected)) == len(expected)
    identity = RowIdentity("bnc")
    ids = columns.hashed_ids(identity, keys[:3])  # distinct: hashed as a block
    ids.append(identity.ext_id(keys[3]))  # a repeat of the block's first key, read as a row
    ids += columns.hashed_ids(identity, keys[4:6])  # a block holding a repeat of an earlier block's key
    ids += columns.hashed_ids(identity, keys[6:])
    assert ids == expected


def test_a_block_after_rows_counts_them():
    identity = RowIdentity("bnc")
    first = [identity.ext_id("x|1"), identity.ext_id("x|1")]
    assert columns.hashed_ids(identity, ["x|1", "y|2"]) == _one_by_one(["x|1", "x|1", "x|1", "y|2"])[2:]
    assert first == _one_by_one(["x|1", "x|1"])
