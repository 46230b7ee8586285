"""columns.blocks cuts a file split whole (table.SplitColumns) into blocks: each block's columns and rows are those
of Table.rows for the same lines, whatever the block size."""
from __future__ import annotations

import pytest

from apps.trades.parsers import columns
from apps.trades.parsers.table import read_table

TEXT = "a,b,c\n" + "".join(f"{row},x{row},{row * 2}\n" for row in range(10))


@pytest.mark.parametrize("size", [1, 3, 4, 10, 64])
def test_blocks_of_a_split_file_give_the_rows_cells(monkeypatch, size):
    table = read_table(TEXT, lambda cells: cells[0] == "a")
    expected = [(line, cells) for line, cells, _ in table.rows()]
    monkeypatch.setattr(columns, "BLOCK_ROWS", size)

    read = []
    for lines, column, rows, problems in columns.blocks(table):
        assert problems == []
        block = rows()
        assert [column(index) for index in (0, 1, 2, -1)] == [list(cells) for cells in zip(*block, strict=True)]
        read += zip(lines, block, strict=True)

    assert read == expected
    assert table.row_count == 10


def test_split_columns_whole_and_missing():
    table = read_table(TEXT, lambda cells: cells[0] == "a")
    lines, cells = columns.split(table)
    assert list(lines) == list(range(2, 12))
    assert cells[1] == [f"x{row}" for row in range(10)]
    assert cells[-1] == [""] * 10
    assert cells.block(2, 8, 20) == ["16", "18"]
    with pytest.raises(IndexError):
        cells.block(3 + 1, 0, 1)
