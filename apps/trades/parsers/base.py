"""Result types shared by every export-file parser, and the bookkeeping they all do."""
from __future__ import annotations

import hashlib
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import compress, repeat

from apps.brokers.types import TradeDTO
from apps.core.errors import Unprocessable

SUPPORTED_FORMATS_TEXT = (
    "Coinbase transaction history (any header version), Coinbase Pro/Exchange fills or account statement, "
    "Binance Transaction History statement, Spot Trade History (from the Orders page or the Report Center) or Order "
    "History (in any Binance UI language; old semicolon Trade History and old Order History too), Binance Auto-Invest "
    "or Buy Crypto history, Kraken trades or ledgers, Bybit spot trade history, "
    "KuCoin filled spot orders, OKX trading history, or any other CSV with a column mapping"
)

_DEFAULT_MESSAGES = {
    "unknown_format": f"This file is not a recognised trade export. Supported: {SUPPORTED_FORMATS_TEXT}.",
    "empty_file": "The file is empty.",
    "file_too_large": "The file is too large to import.",
    "too_many_rows": "The file has too many rows to import at once; split it into smaller files.",
    "mapping_required": "This CSV is not a known export; map its columns to import it.",
    "mapping_mismatch": "The saved column mapping does not fit this file's columns.",
    "ambiguous_date_format": "The dates can be read day first or month first; give the timestamp format.",
    "parser_failure": "The file could not be read.",
}


class ParseError(Unprocessable):
    """The only error a parser raises, whatever the input. `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str | None = None):
        super().__init__(message or _DEFAULT_MESSAGES.get(code, "The file could not be read."), code=code)

    def __repr__(self) -> str:
        return f"ParseError({self.code!r}, {self.message!r})"


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # 1-based physical line number in the file
    reason: str


@dataclass(slots=True)
class ParseResult:
    """`raw` holds, per ext_id, what the file says beyond the TradeDTO (e.g. Coinbase's spot price and spread);
    `notes` are remarks on rows that were imported, by line (e.g. an id the file gives twice)."""

    format: str
    broker: str
    trades: list[TradeDTO]
    skipped: dict[str, int]
    errors: list[RowError]
    total_rows: int
    raw: dict[str, dict] = field(default_factory=dict)
    notes: list[RowError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """How to read a CSV that is not a known export. Column names as they appear in the header."""

    timestamp: str
    symbol: str | None
    base: str | None
    quote: str | None
    side: str
    qty: str
    price: str
    fee: str | None = None
    fee_asset: str | None = None
    ext_id: str | None = None
    timestamp_format: str | None = None  # strptime format; ISO-8601 and common layouts are read without it


class RowProblem(Exception):
    """Raised inside a parser for one row; becomes a RowError, never leaves the package."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class ResultBuilder:
    format: str
    broker: str
    trades: list[TradeDTO] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line each trade came from (0: several)
    skipped: Counter = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    raws: list[dict | None] = field(default_factory=list)  # what each trade's row says beyond the DTO

    def error(self, line: int, reason: str) -> None:
        self.errors.append(RowError(line=line, reason=reason))

    def skip(self, kind: str) -> None:
        self.skipped[kind or "(empty type)"] += 1

    def add(self, trade: TradeDTO, line: int, raw: dict | None = None) -> None:
        self.trades.append(trade)
        self.lines.append(line)
        self.raws.append(raw)

    def add_block(self, lines: Sequence[int], made: list, raws: list[dict | None] | None = None) -> None:
        """A block's rows, each read as its trade, the kind it is skipped under (a str) or its RowProblem, and
        the raw data of each trade if any: the trades are added whole, and only the other rows are looked at one
        by one."""
        is_trade = list(map(isinstance, made, repeat(TradeDTO, len(made))))
        trades = list(compress(made, is_trade))
        others = list(compress(made, map(operator.not_, is_trade))) if len(trades) < len(made) else []
        self.add_picked(lines, is_trade, trades, others, raws)

    def add_picked(self, lines: Sequence[int], is_trade: Sequence[bool], trades: list[TradeDTO], others: list,
                   raws: list[dict | None] | None = None) -> None:
        """add_block for a reader that has its rows apart already: `is_trade` per row, the trades of the rows where
        it is true and, in row order, what each other row is read as (a skip kind or a RowProblem)."""
        self.trades += trades
        self.lines += compress(lines, is_trade) if others else lines
        self.raws += [None] * len(trades) if raws is None else raws
        if not others:
            return
        if "" in others or any(map(isinstance, others, repeat(RowProblem, len(others)))):
            for line, read in zip(compress(lines, map(operator.not_, is_trade)), others, strict=True):
                if isinstance(read, RowProblem):
                    self.error(line, read.reason)
                else:
                    self.skip(read)
            return
        self.skipped.update(others)  # skip(kind) for each, counted in one C-level pass

    def build(self) -> ParseResult:
        self.errors.sort(key=lambda error: error.line)
        notes = distinct_ids(self.trades, self.lines)
        raw = dict(compress(zip(map(_EXT_ID, self.trades), self.raws, strict=True), self.raws)) if any(self.raws) else {}
        return ParseResult(format=self.format, broker=self.broker, trades=self.trades, skipped=dict(self.skipped),
                           errors=self.errors, total_rows=self.total_rows, raw=raw, notes=notes)

    def collect_blocks(self, table, block_to_trades, row_to_trade) -> ParseResult:
        """Like collect, a block of rows at a time: `block_to_trades(rows)` reads a whole block through the column
        readers (columns.py) into each row's trade or skip kind (see add_block), or returns None, and that block is
        read row by row with `row_to_trade` instead."""
        for block_lines, rows, problems in table.blocks():
            for line, problem in problems:
                self.error(line, problem)
            made = block_to_trades(rows) if rows else []
            if made is not None:
                self.add_block(block_lines, made)
                continue
            for line, cells in zip(block_lines, rows, strict=True):
                self.take(line, cells, row_to_trade)
        self.total_rows += table.row_count
        return self.build()

    def collect(self, table, row_to_trade) -> ParseResult:
        """Every row of `table` through `row_to_trade(cells)` (see Table.rows): a trade, the kind (a str) the row is
        skipped under, or the row's RowProblem by line."""
        for line, cells, problem in table.rows():
            if problem:
                self.error(line, problem)
            else:
                self.take(line, cells, row_to_trade)
        self.total_rows += table.row_count
        return self.build()

    def take(self, line: int, cells: list[str], row_to_trade) -> None:
        """One row through `row_to_trade` (see collect)."""
        try:
            read = row_to_trade(cells)
        except RowProblem as problem:
            self.error(line, problem.reason)
            return
        if isinstance(read, str):
            self.skip(read)
        else:
            self.add(read, line)


MAX_EXT_ID = 128
_EXT_ID = operator.attrgetter("ext_id")


def distinct_ids(trades: list[TradeDTO], lines: list[int]) -> list[RowError]:
    """Rows that share the exchange's id but not their content are different trades: the first keeps the id,
    each later one gets the id plus a hash of its content, and a note says so. Identical rows stay identical
    (the second is the same trade listed twice). Rewrites `trades` in place; returns the notes."""
    ids = list(map(_EXT_ID, trades))
    if len(set(ids)) == len(ids):  # nearly every file: no id twice
        return []
    first: dict[str, int] = {}
    renamed: list[tuple[int, str]] = []
    for index, trade in enumerate(trades):
        seen = first.setdefault(trade.ext_id, index)
        if seen != index and trades[seen] != trade:
            renamed.append((index, trade.ext_id))
    notes = []
    for index, ext_id in renamed:
        trade = trades[index]
        content = "|".join((trade.symbol, trade.side, format(trade.qty, "f"), format(trade.price, "f"),
                            trade.ts.isoformat(), "" if trade.fee is None else format(trade.fee, "f"), trade.fee_asset))
        suffix = "#" + hashlib.sha256(content.encode()).hexdigest()[:12]
        new_id = ext_id[: MAX_EXT_ID - len(suffix)] + suffix
        trades[index] = trade._replace(ext_id=new_id)
        first_line = lines[first[ext_id]]
        notes.append(RowError(line=lines[index], reason=f"the id {ext_id[:60]} is also on line {first_line} with "
                                                        f"different values; this row is stored as {new_id}"))
    return notes


class RowIdentity:
    """Stable ids for rows the exchange gives no id: a hash of the normalised values plus how many identical
    rows came before in the same file, so two identical fills both import and a re-upload maps onto them."""

    def __init__(self, namespace: str):
        self._namespace = namespace
        self._prefix = namespace + "-"
        self._seen: dict[str, int] = {}  # per key, how many rows had it so far
        # keys of rows given their ids a block at a time (columns.hashed_ids), each once so far unless in _seen too:
        # a set grows and is searched at a fraction of a dict's cost
        self._once: set[str] = set()

    def ext_id(self, *parts: str) -> str:
        key = "|".join(parts)
        occurrence = self._seen.get(key, 0)
        if not occurrence and self._once and key in self._once:
            occurrence = 1
        self._seen[key] = occurrence + 1
        digest = hashlib.sha256(f"{self._namespace}|{key}|{occurrence}".encode()).hexdigest()
        return self._prefix + digest[:40]


_TUPLE_NEW = tuple.__new__


def new_trade(ext_id: str, symbol: str, side: str, qty: Decimal, price: Decimal, ts: datetime, fee: Decimal | None,
              fee_asset: str, quote_asset: str) -> TradeDTO:
    """TradeDTO(...) from its nine values in field order, without the named tuple's keyword handling: the
    parsers build one per row."""
    return _TUPLE_NEW(TradeDTO, (ext_id, symbol, side, qty, price, ts, fee, fee_asset, quote_asset))


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """A known export: the header columns that identify it and the function that reads it."""

    name: str
    broker: str
    required: tuple[frozenset[str], ...]  # each header must hold one key of every group (see table.header_key)
    parse: Callable[..., ParseResult]  # takes the located table.Table

    def matches(self, keys: set[str]) -> bool:
        return all(keys & group for group in self.required)
