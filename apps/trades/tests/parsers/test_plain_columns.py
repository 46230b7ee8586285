"""plain_columns splits a whole file into columns, the same cells Table.rows gives (csv.reader's), when every row is
one line of the header's width; it declines every other file."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.trades.parsers.plain_columns import plain_columns
from apps.trades.parsers.table import read_table


def table_of(text: str):
    table = read_table(text, lambda cells: cells[0] == "a")
    assert table is not None
    return table


def rows_of(text: str) -> tuple[list[int], list[list[str]], int]:
    """What Table.rows gives: the lines, the cells without the padding cell, the row count."""
    table = table_of(text)
    read = [(line, cells[:-1]) for line, cells, problem in table.rows() if not problem]
    return [line for line, _ in read], [cells for _, cells in read], table.row_count


def columns_of(text: str) -> tuple[list[int], list[list[str]], int] | None:
    table = table_of(text)
    split = plain_columns(table)
    if split is None:
        return None
    assert split.column(-1) == [""] * split.count  # index -1: a column the file lacks
    columns = [split.column(index) for index in range(len(table.header))]
    return list(split.lines), [list(cells) for cells in zip(*columns, strict=True)], table.row_count


@pytest.mark.parametrize("text", [
    "a,b,c\n1,2,3\n4,5,6\n",
    "a,b,c\n1,2,3\n4,5,6",
    "a,b,c\r\n1,2,3\r\n4,5,6\r\n",
    'a,b,c\n"1","x y",3\n"4","",6\n',
    "preamble\n\na;b;c\n1;2;3\n",
    "a,b,c\n,2,3\n4,,\n",
    # Quotes: csv.reader reads them
    'a,b,c\n"1,2",3,4\n',
    'a,b,c\n"1""2",3,4\n',
    'a,b,c\n1"2,3,4\n',
    'a,b,c\n"1",2,3\n4,5,6\n',
    'a,b,c\n"1" ,2,3\n',
])
def test_plain_files_give_the_cells_csv_reader_gives(text):
    assert columns_of(text) == rows_of(text)


@pytest.mark.parametrize("text", [
    "a,b,c\n1,2,3\n\n4,5,6\n",  # a blank line
    "a,b,c\n1,2,3\n,,\n",  # a row of blank cells, which Table.rows leaves out
    "a,b,c\n1,2\n4,5,6,7\n",  # short and long rows
    'a,b,c\n"1,2",3\n',  # a quoted delimiter, the row one cell short
    'a,b,c\n",2,3\n"4,5,6\n',  # a quoted line end: one row over two lines
    "a,b,c\n1,2,3\r4,5,6\n",  # a lone carriage return
    "a,b,c\n",  # no rows
])
def test_other_files_are_declined(text):
    assert columns_of(text) is None


@settings(max_examples=300, deadline=timedelta(seconds=2), derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(alphabet='ab1 ",\r\n', max_size=4), min_size=3, max_size=3), min_size=1, max_size=6),
       st.booleans())
def test_whenever_a_file_is_split_its_cells_are_those_of_table_rows(rows, crlf):
    newline = "\r\n" if crlf else "\n"
    text = "a,b,c" + newline + newline.join(",".join(cells) for cells in rows) + newline

    split = columns_of(text)

    if split is not None:
        assert split == rows_of(text)
