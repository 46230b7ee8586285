"""Export-file parsers: bytes in, normalised trades out. Pure Python, no database.

    result = parse_file(data)                        # a known export (Coinbase, Binance)
    result = parse_file(data, mapping=saved_mapping)  # any CSV, read through a saved ColumnMapping

`parse_file` raises only `ParseError`, whatever the bytes: rows it cannot read become `RowError`s, rows that
are not trades are counted in `skipped` by type. `detect_format` names the format (`"generic"` for a CSV table
that is no known export and needs a mapping); `sniff_headers` lists such a file's columns for the mapping form.
"""
from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from apps.brokers.types import TradeDTO

from . import (
    binance,
    binance_autoinvest,
    binance_buy_crypto,
    binance_report,
    binance_statement,
    coinbase,
    kraken,
    venues,
)
from .base import SUPPORTED_FORMATS_TEXT, ColumnMapping, FormatSpec, ParseError, ParseResult, RowError
from .generic import column_guesses, find_mapped_table, parse_with_mapping, sample_rows
from .table import Table, decode, header_key, looks_like_header, read_table
from .values import decimal_comma

__all__ = [
    "FORMATS", "ColumnMapping", "ParseError", "ParseResult", "RowError", "TradeDTO", "detect_format", "parse_file",
    "sniff_columns", "sniff_headers",
]

logger = logging.getLogger(__name__)

SPECS: tuple[FormatSpec, ...] = (coinbase.SPECS + (binance_statement.STATEMENT_SPEC,) + binance_autoinvest.SPECS
                                  + binance_buy_crypto.SPECS + binance_report.SPECS + binance.SPECS + kraken.SPECS
                                  + venues.SPECS)
FORMATS = tuple(dict.fromkeys(spec.name for spec in SPECS)) + ("generic",)


def _known(cells: list[str]) -> FormatSpec | None:
    keys = {header_key(cell) for cell in cells}
    for spec in SPECS:
        if spec.matches(keys):
            return spec
    return None


def _text(data: bytes) -> str:
    text = decode(data)
    if not text.strip().strip("\ufeff"):
        raise ParseError("empty_file")
    sample = text[:4096]
    if "\x00" in sample or sum(not (char.isprintable() or char.isspace()) for char in sample) > len(sample) // 10:
        raise ParseError("unknown_format", f"This does not look like a CSV text file. Supported: "
                                           f"{SUPPORTED_FORMATS_TEXT}.")
    return text


def _locate(text: str) -> tuple[Table, FormatSpec | None]:
    table = read_table(text, lambda cells: _known(cells) is not None)
    if table is not None:
        return table, _known(table.header)
    table = read_table(text, looks_like_header)
    if table is None:
        raise ParseError("unknown_format")
    return table, None


Answer = TypeVar("Answer")


def _guarded(function: Callable[..., Answer], *args, **kwargs) -> Answer:
    try:
        return function(*args, **kwargs)
    except ParseError:
        raise
    except Exception as exc:  # the contract: callers only ever see ParseError
        logger.exception("export parser failed")
        raise ParseError("parser_failure") from exc


def detect_format(data: bytes) -> str:
    """The format name of a file; "generic" for a CSV table that needs a ColumnMapping."""
    return _guarded(_detect_format, data)


def _detect_format(data: bytes) -> str:
    _, spec = _locate(_text(data))
    return spec.name if spec else "generic"


def sniff_headers(data: bytes) -> list[str]:
    """The header row's column names (as written), for the column-mapping form."""
    return _guarded(_sniff_headers, data)


def _sniff_headers(data: bytes) -> list[str]:
    table, _ = _locate(_text(data))
    return list(table.header)


def sniff_columns(data: bytes) -> dict:
    """The header row, the columns guessed for each mapped field and the first rows, for the mapping form:
    {"headers": [...], "guess": {field: header}, "sample": [[cell, ...], ...]}."""
    return _guarded(_sniff_columns, data)


def _sniff_columns(data: bytes) -> dict:
    table, _ = _locate(_text(data))
    header = list(table.header)
    return {"headers": header, "guess": column_guesses(header), "sample": sample_rows(table)}


def parse_file(data: bytes, *, mapping: ColumnMapping | None = None, filename: str = "") -> ParseResult:
    """Read an export. With a mapping the file is read as a generic CSV through it, whatever it looks like."""
    with _collection_paused():
        return _guarded(_parse_file, data, mapping=mapping, filename=filename)


@contextmanager
def _collection_paused() -> Iterator[None]:
    """A parse makes a few hundred thousand small lists and objects that all stay alive until it ends; the cyclic
    garbage collector would walk them again and again while they pile up (a fifth of the time), and has nothing
    to free. Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_file(data: bytes, *, mapping: ColumnMapping | None, filename: str) -> ParseResult:
    text = _text(data)
    if mapping is not None:
        table = find_mapped_table(text, mapping)
        with decimal_comma(table.delimiter == ";"):
            return parse_with_mapping(table, mapping)
    table, spec = _locate(text)
    if spec is None:
        columns = ", ".join(cell for cell in table.header if cell)[:300]
        raise ParseError("mapping_required", f"{filename or 'This file'} is not a known export (columns: {columns}). "
                                             f"Map its columns to import it. Known exports: {SUPPORTED_FORMATS_TEXT}.")
    with decimal_comma(table.delimiter == ";"):
        return spec.parse(table)
