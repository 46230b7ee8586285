"""A whole table split into its columns in a few C-level passes, for the files nearly every export is: one line per
row, the same number of cells on every line.

    split = plain_columns(table)       # None for any other file: read it with Table.blocks / Table.rows
    times = split.column(time_at)      # the column's cells, as csv.reader gives them; index -1 is all ""

A text without quotes is split on its line ends and delimiters with str.split (table.columns_of_lines): its cells
are exactly those csv.reader gives once every line holds the same count of delimiters (checked first).
A text with quotes (Kraken's `"2024-01-01 00:00:00"`) is read by csv.reader, and a column is taken out of its rows
when it is first asked for.
"""
from __future__ import annotations

import csv
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import compress

from .columns import Column, collect, row_cells
from .table import MAX_ROWS, Table, body_lines, columns_of_lines

_QUOTE = '"'


class _LazyColumn:
    """A column of csv.reader rows, taken out of them the first time it is asked for (a reader needs a few)."""

    def __init__(self, rows: list[list[str]], index: int):
        self.rows, self.index, self.cells = rows, index, None

    def get(self) -> list[str]:
        if self.cells is None:
            self.cells = list(map(operator.itemgetter(self.index), self.rows))
        return self.cells


@dataclass(slots=True)
class PlainColumns:
    lines: range  # the 1-based line of each row
    columns: Sequence  # per header column its cells (or a _LazyColumn), then one of "" (-1: a column the file lacks)

    @property
    def count(self) -> int:
        return len(self.lines)

    def column(self, index: int) -> list[str]:
        """The cells of the column at `index`, as csv.reader reads them."""
        cells = self.columns[index]
        return cells.get() if isinstance(cells, _LazyColumn) else cells


def plain_columns(table: Table) -> PlainColumns | None:
    """The table's data rows as columns (table.row_count set), or None unless every row is one line of exactly the
    header's width of plain cells (same cells as Table.rows would give, in the same order, none of them blank rows).
    Files of more than MAX_ROWS rows give None too: the row readers raise the error that says so."""
    width = len(table.header)
    found = body_lines(table)
    if found is None:
        return None
    body, lines = found
    if _QUOTE not in body:
        whole = columns_of_lines(table, body, lines)
        return None if whole is None else PlainColumns(lines=whole[0], columns=whole[1])
    count = len(lines)
    if count > MAX_ROWS:
        return None
    try:  # csv.reader reads the quotes; its rows, one per line, turned into columns
        rows = list(csv.reader(lines, delimiter=table.delimiter))
    except csv.Error:
        return None
    if len(rows) != count or set(map(len, rows)) != {width}:
        return None  # a blank line, a short or long row, or a quoted line end
    cells: list = [_LazyColumn(rows, index) for index in range(width)]
    split = PlainColumns(lines=range(table.header_line + 1, table.header_line + 1 + count), columns=cells)
    first = split.column(0)
    if not all(map(str.strip, first)):
        blank_first = compress(range(count), map(operator.not_, map(str.strip, first)))
        everything = [split.column(index) for index in range(width)]
        if any(not "".join(column[row] for column in everything).strip() for row in blank_first):
            return None  # a row of blank cells, which the row readers leave out
    cells.append([""] * count)
    table.row_count = count
    return split


ColumnOf = Column  # a column's cells by its index (-1: a column the file lacks, all "")
collect_columns = collect  # readers that take columns, the whole file split once or block by block (columns.collect)


def columns_of_rows(rows: list[list[str]]) -> ColumnOf:
    """The column accessor of a block of Table rows."""
    return partial(row_cells, rows)
