"""Whole-column reading for blocks of rows whose cells all have the plain shape exports almost always write.

A parser reads a block of rows (Table.blocks) column by column with these functions: each one checks the
shape of the whole column in one regular-expression pass over the joined cells, then converts it with C-level
maps instead of one Python call per cell. Every function returns None when any cell of the column is not in
that shape; the parser then reads that block row by row with its exact per-row reader (same values, same
messages). The result is the same either way: the column readers are a shortcut, not a second grammar.
"""
from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial
from itertools import repeat
from typing import TypeVar

from apps.brokers.types import TradeDTO

from .base import ParseResult, ResultBuilder, RowIdentity
from .table import SplitColumns, Table, unquoted_columns
from .values import _CONTEXT, CURRENCY_SYMBOLS

# Each pattern matches a whole column joined with newlines. The repeats are possessive (`*+`): a column is
# checked in one forward pass with no backtracking state kept per row (three times faster than `*`).
# `2021-03-04 10:00:00`, `2021-03-04T10:00:00`, `2025-01-17 16:57:02 UTC`
# (years 2009–2100 only: any other year leaves the column to the row readers)
_PLAIN_TIME = r"(?:2009|20[1-9]\d|2100)-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?: UTC)?"
_PLAIN_TIMES = re.compile(rf"(?:{_PLAIN_TIME}\n)*+{_PLAIN_TIME}")
# `2023-11-26T10:19:47.504Z`, `…:47Z`, `…:47.552204+00:00`
_ZONED_TIMES = re.compile(r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|\+00:00)\n)*+"
                          r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|\+00:00)")
# `24-01-20 10:11:12`: two-digit years, as Binance's newer and non-English exports write them (values.parse_timestamp
# reads them as 2024-01-20)
_SHORT_YEAR_TIMES = re.compile(r"(?:\d\d-\d\d-\d\d \d\d:\d\d:\d\d\n)*+\d\d-\d\d-\d\d \d\d:\d\d:\d\d")
# `2023-11-26T10:19:47Z`: whole seconds, zone `Z`
_WHOLE_Z_TIMES = re.compile(r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n)*+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# `2021-03-04 10:00:00.1234` (Kraken), without a zone: UTC.
_FRACTION_TIMES = re.compile(r"(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\.\d{1,6}\n)*+"
                             r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\.\d{1,6}")
_NUMBER = r"(?:0|[1-9]\d{0,21})(?:\.\d{0,18}0*)?"
_NUMBERS = re.compile(rf"(?:{_NUMBER}\n)*+{_NUMBER}")
_SIGNED_NUMBERS = re.compile(rf"(?:-?{_NUMBER}\n)*+-?{_NUMBER}")
_from_iso = datetime.fromisoformat
Key = TypeVar("Key")
Value = TypeVar("Value")
_UTC_SUFFIX = "+00:00"


def times(cells: Sequence[str], *, texts: bool = True) -> tuple[list[datetime], list[str]] | None:
    """Aware UTC datetimes and the ISO texts of the plain or zoned UTC time cells (2009–2100); without `texts`,
    the datetimes and an empty list."""
    joined = "\n".join(cells)
    count = len(cells)
    if _SHORT_YEAR_TIMES.fullmatch(joined):
        cells = list(map("20".__add__, cells))
        joined = "\n".join(cells)
    if _PLAIN_TIMES.fullmatch(joined):
        plain = joined.replace(" UTC", "") if "UTC" in joined else joined
        if texts:  # fromisoformat reads the date and time parted by a space or a T alike; the texts have the T
            plain = plain.replace(" ", "T")
        isos = (plain.replace("\n", _UTC_SUFFIX + "\n") + _UTC_SUFFIX).split("\n")
        try:
            moments = list(map(_from_iso, isos))
        except ValueError:  # a day or hour that does not exist
            return None
        return moments, isos if texts else []
    zoned = _ZONED_TIMES.fullmatch(joined) is not None
    if zoned or _FRACTION_TIMES.fullmatch(joined):
        if min(cells) < "2009" or max(cells) >= "2101":
            return None
        try:
            moments = list(map(_from_iso, cells if zoned else list(map(str.__add__, cells,
                                                                         repeat(_UTC_SUFFIX, count)))))
        except ValueError:
            return None
        if not texts:
            return moments, []
        if zoned and _WHOLE_Z_TIMES.fullmatch(joined):  # isoformat() of these is the cell with +00:00 for Z
            return moments, list(map(str.__add__, map(_all_but_last, cells), repeat(_UTC_SUFFIX, count)))
        return moments, list(map(datetime.isoformat, moments))
    return None


def in_utc(moments: list[datetime], zone: timezone) -> list[datetime]:
    """Times read as UTC that were written in the fixed-offset `zone`, in UTC: each
    moment.replace(tzinfo=zone).astimezone(UTC), computed as moment - offset (the same datetime)."""
    if zone is UTC:
        return moments
    return list(map(operator.sub, moments, repeat(zone.utcoffset(None), len(moments))))


_all_but_last = operator.itemgetter(slice(0, -1))


def _canonical(cells: Sequence[str], joined: str) -> list[str]:
    """Cells of _NUMBERS (at most one dot each) without trailing fractional zeros: `1.500` → `1.5`, `2.0` → `2`."""
    dots = joined.count(".")
    if dots == len(cells):  # a dot in every cell: strip in two C-level passes
        return list(map(str.rstrip, map(str.rstrip, cells, repeat("0")), repeat(".")))
    if not dots:
        return list(cells)
    return [cell.rstrip("0").rstrip(".") if "." in cell else cell for cell in cells]


# A column whose first _SAMPLE cells hold at most _FEW_VALUES values, and the whole column at most one value in
# _FEW_VALUES cells, is read a distinct value at a time.
_FEW_VALUES_FROM = 256
_SAMPLE = 64
_FEW_VALUES = 8


def numbers(cells: Sequence[str], *, signed: bool = False) -> tuple[list[Decimal], list[str]] | None:
    """Decimals and canonical texts (as values.decimal_text writes them) of plain number cells: digits with an
    optional fraction, no exponent, no separators, at most 18 significant decimals; a sign only if `signed`."""
    if len(cells) >= _FEW_VALUES_FROM and len(set(cells[:_SAMPLE])) <= _FEW_VALUES:
        distinct = list(set(cells))
        if len(distinct) * _FEW_VALUES <= len(cells):  # e.g. a fee or an amount per period: read each value once
            read = numbers(distinct, signed=signed)
            if read is None:
                return None
            values, texts = dict(zip(distinct, read[0], strict=True)), dict(zip(distinct, read[1], strict=True))
            return list(map(values.__getitem__, cells)), list(map(texts.__getitem__, cells))
    joined = "\n".join(cells)
    if not (_SIGNED_NUMBERS if signed else _NUMBERS).fullmatch(joined):
        return None
    texts = _canonical(cells, joined)
    if signed and "-0" in texts:
        texts = ["0" if text == "-0" else text for text in texts]
    return list(map(Decimal, texts)), texts


def are_numbers(cells: Sequence[str], *, without: str = "") -> bool:
    """Whether numbers(cells) reads every cell once `without` (e.g. thousands commas) is taken out of each, for a
    column only checked, not used."""
    joined = "\n".join(cells)
    return _NUMBERS.fullmatch(joined.replace(without, "") if without else joined) is not None


_QUANTUM = Decimal("1e-18")
_ZERO = Decimal(0)
_LIMIT = Decimal(10) ** 22


def stored_values(values: Iterable[Decimal]) -> list[Decimal] | None:
    """values.stored for a whole column: each value to 18 places, without trailing zeros (adding 0 turns the
    normalised `1E+1` back into `10`, as values.stored writes it). None if a value is out of range (the row
    reader then says which)."""
    context = repeat(_CONTEXT)
    try:  # add(normalize(quantize(value, _QUANTUM, context), context), 0), one C-level pass per step
        out = list(map(_CONTEXT.add, map(Decimal.normalize, map(Decimal.quantize, values, repeat(_QUANTUM),
                                                                 repeat(None), context), context), repeat(_ZERO)))
    except InvalidOperation:
        return None
    if out and max(map(Decimal.copy_abs, out)) >= _LIMIT:
        return None
    return out


def quotients(numerators: Sequence[Decimal], denominators: Sequence[Decimal]) -> list[Decimal] | None:
    """values.divide for whole columns; None if a denominator is zero or a quotient out of range."""
    if not all(denominators):
        return None
    return stored_values(map(_CONTEXT.divide, numerators, denominators))


_SYMBOLS = {symbol: code for symbol, code in CURRENCY_SYMBOLS.items() if len(symbol) == 1}


def money(cells: Sequence[str]) -> tuple[list[Decimal], list[str], list[str]] | None:
    """Decimals, canonical texts and currencies of money cells such as `€3343.11`, `-€597.49`, `12.5`: a plain
    signed number after at most one single-character currency symbol."""
    count = len(cells)
    symbol = cells[0].lstrip("-")[:1] if cells else ""
    if symbol in _SYMBOLS and all(map(str.startswith, cells, repeat((symbol, "-" + symbol), count))):
        # one currency in the whole column (nearly always): drop its symbol from every cell at once
        read = numbers(list(map(str.replace, cells, repeat(symbol, count), repeat("", count), repeat(1, count))),
                       signed=True)
        return None if read is None else (read[0], read[1], [_SYMBOLS[symbol]] * count)
    marks = [cell[1:2] if cell[:1] == "-" else cell[:1] for cell in cells]
    if not all(mark in _SYMBOLS or mark.isdigit() for mark in marks):
        return None
    read = numbers([cell.replace(mark, "", 1) if mark in _SYMBOLS else cell for cell, mark in
                    zip(cells, marks, strict=True)], signed=True)
    if read is None:
        return None
    return read[0], read[1], [_SYMBOLS.get(mark, "") for mark in marks]


def without_suffixes(cells: Sequence[str], suffixes: Sequence[str]) -> list[str] | None:
    """Each cell without the suffix of its row (`500DOGE` → `500`); None unless every cell ends with it."""
    count = len(cells)
    if count and suffixes.count(suffixes[0]) == count:  # one suffix in the whole column (nearly always)
        suffix = suffixes[0]
        text = _lines_of(cells)
        if text is not None:
            if text.count(suffix + "\n") != count:
                return None
            return text.replace(suffix + "\n", "\n")[:-1].split("\n") if suffix else list(cells)
    if not all(map(str.endswith, cells, suffixes)):
        return None
    return list(map(str.removesuffix, cells, suffixes))


def suffixes(cells: Sequence[str], digits: str = "0123456789.") -> list[str]:
    """What follows the leading number of each cell (`0.5DOGE` → `DOGE`)."""
    count = len(cells)
    if count:
        # Every cell the first one's suffix after characters of `digits` only: that suffix for all, found in a few
        # passes over the joined column instead of a call per cell.
        suffix = cells[0].lstrip(digits)
        text = _lines_of(cells)
        if (text is not None and text.count(suffix + "\n") == count
                and _only(digits).fullmatch(text.replace(suffix + "\n", "\n"))):
            return [suffix] * count
    return list(map(str.lstrip, cells, repeat(digits, count)))


@lru_cache(maxsize=16)
def _only(characters: str) -> re.Pattern:
    """A pattern of any text of these characters and line ends."""
    return re.compile(f"[{re.escape(characters)}\n]*+")


def _lines_of(cells: Sequence[str]) -> str | None:
    """The cells joined with a line end after each, or None if a cell holds a line end itself."""
    text = "\n".join(cells) + "\n"
    return text if text.count("\n") == len(cells) else None


def plain_ids(cells: Sequence[str], longest: int) -> bool:
    """Every cell is a non-empty id of at most `longest` characters without surrounding spaces."""
    return bool(cells) and all(cells) and max(map(len, cells)) <= longest and list(map(str.strip, cells)) == cells


def lookup(cells: Sequence[Key], known: dict[Key, Value], read: Callable[[Key], Value]) -> list[Value]:
    """read(cell) for every cell, called once per distinct cell and kept in `known` (a file holds a few pairs,
    sides and assets in thousands of rows); whatever `read` raises propagates."""
    count = len(cells)
    if count and cells.count(cells[0]) == count:  # one value in the whole column (a pair, a fee asset)
        first = cells[0]
        value = known[first] if first in known else known.setdefault(first, read(first))
        return [value] * count
    for cell in set(cells).difference(known):
        known[cell] = read(cell)
    return list(map(known.__getitem__, cells))


def field(values: Iterable[Sequence], index: int) -> list:
    """The index-th item of each value (e.g. the quote of each (base, quote, symbol))."""
    if isinstance(values, list) and values and values.count(values[0]) == len(values):  # one value, as lookup gives
        return [values[0][index]] * len(values)
    return list(map(operator.itemgetter(index), values))


_digest = operator.methodcaller("digest")
_first_20 = operator.itemgetter(slice(0, 20))


def hashed_ids(identity: RowIdentity, keys: list[str]) -> list[str]:
    """identity.ext_id for each key (the parts already joined with "|"), in order."""
    seen, once = identity._seen, identity._once  # noqa: SLF001 - the same counters the per-row path uses
    fresh = set(keys)
    if keys and len(fresh) == len(keys) and once.isdisjoint(fresh) and (not seen or seen.keys().isdisjoint(fresh)):
        namespace, prefix = identity._namespace, identity._prefix  # noqa: SLF001
        # prefix + sha256(f"{namespace}|{key}|0").hexdigest()[:40]: the salted keys encoded as one text and split,
        # the first 20 bytes of each digest written as hex in one pass, the prefix put before each in another
        head = namespace + "|"
        salted = (head + ("|0\n" + head).join(keys) + "|0").encode().split(b"\n")
        if len(salted) != len(keys):  # a key with a line end in it
            salted = list(map(str.encode, map(str.__add__, map(head.__add__, keys), repeat("|0"))))
        digests = b"".join(map(_first_20, map(_digest, map(hashlib.sha256, salted))))
        ids = (prefix + digests.hex("\n", 20).replace("\n", "\n" + prefix)).split("\n")
        if once:
            once |= fresh
        else:
            identity._once = fresh  # noqa: SLF001
        return ids
    return [identity.ext_id(key) for key in keys]


_TUPLE_NEW = tuple.__new__


def trades(ext_ids: list[str], symbols: Sequence[str], sides: Sequence[str], qtys: Sequence[Decimal],
           prices: Sequence[Decimal], moments: Sequence[datetime], fees: Sequence[Decimal | None],
           fee_assets: Sequence[str], quotes: Sequence[str]) -> list[TradeDTO]:
    """TradeDTOs from their columns in one C-level pass (tuple.__new__ over the zipped values): the same objects
    TradeDTO(...) makes."""
    return list(map(_TUPLE_NEW, repeat(TradeDTO, len(ext_ids)), zip(ext_ids, symbols, sides, qtys, prices, moments,
                                                                    fees, fee_assets, quotes, strict=True)))


Column = Callable[[int], Sequence[str]]
BLOCK_ROWS = 4096


def split(table: Table) -> tuple[range, SplitColumns] | None:
    """The table's data rows as columns (lines, one list of cells per header column then one of ""), the cells
    csv.reader gives, for a file of one line per row and no quotes (table.unquoted_columns); None for any other
    file, to be read with Table.blocks (taking the quotes off first was measured no faster than csv.reader). Sets
    table.row_count."""
    return unquoted_columns(table)


def blocks(table: Table) -> Iterator[tuple[Sequence[int], Column, Callable[[], list[list[str]]],
                                           list[tuple[int, str]]]]:
    """Table.blocks as columns: (lines, column, rows, unreadable rows as (line, reason)) per block of about
    BLOCK_ROWS rows, where `column(index)` gives the cells of one column in the block (index -1: all "") and
    `rows()` the block's rows as Table.rows gives them, for a reader that takes the block row by row. A file split()
    reads is cut into blocks of its columns, any other goes through Table.blocks."""
    whole = split(table)
    if whole is None:
        for lines, rows, problems in table.blocks(BLOCK_ROWS):
            yield lines, _Transposed(rows).column, partial(_same, rows), problems
        return
    lines, cells = whole
    for start in range(0, len(lines), BLOCK_ROWS):
        stop = start + BLOCK_ROWS
        yield lines[start:stop], partial(_column_cells, cells, start, stop), partial(_rows_of, cells, start, stop), []


def collect(result: ResultBuilder, table: Table, block_to_trades: Callable[[Column], list | None],
            row_to_trade) -> ParseResult:
    """ResultBuilder.collect_blocks for readers that take a block as columns (see blocks): `block_to_trades(column)`
    answers each row's trade, skip kind or RowProblem (see ResultBuilder.add_block), or None to have the block read
    row by row with `row_to_trade`."""
    for lines, column, rows, problems in blocks(table):
        for line, problem in problems:
            result.error(line, problem)
        made = block_to_trades(column) if lines else []
        if made is not None:
            result.add_block(lines, made)
            continue
        for line, cells in zip(lines, rows(), strict=True):
            result.take(line, cells, row_to_trade)
    result.total_rows += table.row_count
    return result.build()


def row_cells(rows: list[list[str]], index: int) -> list[str]:
    """The index-th cell of each row: a column of rows from Table.blocks."""
    return list(map(operator.itemgetter(index), rows))


class _Transposed:
    """The columns of a block of rows, all taken out in one pass (zip) when the first is asked for: a reader asks
    for most of them, and a pass per column costs twice as much. Rows of unequal length are read a column at a
    time, as row_cells does."""

    __slots__ = ("rows", "columns")

    def __init__(self, rows: list[list[str]]):
        self.rows, self.columns = rows, None

    def column(self, index: int) -> list[str]:
        if self.columns is None:
            rows = self.rows
            if not rows or len(set(map(len, rows))) != 1:
                return row_cells(rows, index)
            self.columns = list(map(list, zip(*rows, strict=True)))
        return self.columns[index]


def _same(rows: list[list[str]]) -> list[list[str]]:
    return rows


def _rows_of(cells: SplitColumns, start: int, stop: int) -> list[list[str]]:
    return list(map(list, zip(*[cells.block(index, start, stop) for index in range(len(cells))], strict=True)))


def _column_cells(cells: SplitColumns, start: int, stop: int, index: int) -> list[str]:
    return cells.block(index, start, stop)
