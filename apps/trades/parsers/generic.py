"""Any CSV, read through the column mapping a user saved for its source."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from itertools import islice, repeat

from apps.brokers.types import TradeDTO

from . import columns as column_readers
from .base import ColumnMapping, ParseError, ParseResult, ResultBuilder, RowIdentity, RowProblem, new_trade
from .table import Table, column_index, header_key, read_table
from .values import (
    NUMERIC_DATE,
    clean_asset,
    parse_side,
    parse_timestamp,
    plain_number,
    positive,
    read_decimal,
    read_glued,
    read_money,
    split_pair,
    symbol_of,
)
from .values import read_time as read_iso_time

_FIELDS = ("timestamp", "symbol", "base", "quote", "side", "qty", "price", "fee", "fee_asset", "ext_id")


def _mapped_columns(mapping: ColumnMapping) -> dict[str, str]:
    if not isinstance(mapping, ColumnMapping):
        raise ParseError("mapping_mismatch", "The column mapping is not valid.")
    columns = {}
    for name in _FIELDS:
        value = getattr(mapping, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(value, str):
            raise ParseError("mapping_mismatch", f"The column mapping for {name} must be a column name.")
        columns[name] = value
    missing = [name for name in ("timestamp", "side", "qty", "price") if name not in columns]
    if "symbol" not in columns and not ("base" in columns and "quote" in columns):
        missing.append("symbol (or base and quote)")
    if missing:
        raise ParseError("mapping_mismatch", "The column mapping needs: " + ", ".join(missing) + ".")
    if mapping.timestamp_format is not None and not isinstance(mapping.timestamp_format, str):
        raise ParseError("mapping_mismatch", "The timestamp format must be text.")
    return columns


def find_mapped_table(text: str, mapping: ColumnMapping) -> Table:
    columns = _mapped_columns(mapping)
    wanted = {header_key(name) for name in columns.values()}
    table = read_table(text, lambda cells: wanted <= {header_key(cell) for cell in cells})
    if table is None:
        names = ", ".join(sorted(set(columns.values())))
        raise ParseError("mapping_mismatch", f"The file has no header row with the mapped columns ({names}).")
    return table


def parse_with_mapping(table: Table, mapping: ColumnMapping) -> ParseResult:
    columns = _mapped_columns(mapping)
    keys = table.keys
    index = {name: keys.index(header_key(column)) for name, column in columns.items()}
    month_first = False
    if mapping.timestamp_format is None:
        month_first = month_first_in_column(table, index["timestamp"], columns["timestamp"])
    result = ResultBuilder(format="generic", broker="csv")
    block_reader, row_reader = _readers(index, columns, mapping.timestamp_format, month_first)
    return column_readers.collect(result, table, block_reader, row_reader)


_DATE_SAMPLE = 200


_MAPPING_ADVICE = ("Give the timestamp format in the mapping: %d/%m/%Y %H:%M for day first, %m/%d/%Y %H:%M for "
                   "month first.")


def month_first_in_column(table: Table, column: int, name: str, *, advice: str = _MAPPING_ADVICE) -> bool:
    """Whether dates like `5/1/2022` in the column are month first, decided by the whole column: a first part
    over 12 means day first, a second part over 12 month first. When no value settles it, the user is asked
    (`advice` says how). A column whose first rows hold no such date holds none (one export writes its dates
    one way)."""
    ambiguous: list[str] = []
    day_first_seen = month_first_seen = ""
    sample = [cells[column] for _, cells, _ in islice(table.rows(), _DATE_SAMPLE) if cells]
    if not any(NUMERIC_DATE.match(text) for text in sample):
        return False  # dates written year first (or as epochs): no order to decide
    for _, cells, _ in table.rows():
        text = cells[column] if cells else ""
        match = NUMERIC_DATE.match(text)
        if match is None:
            continue
        first, second = int(match[1]), int(match[2])
        if first > 12 and not day_first_seen:
            day_first_seen = text.strip()
        elif second > 12 and not month_first_seen:
            month_first_seen = text.strip()
        elif first != second and first <= 12 and second <= 12 and len(ambiguous) < 3:
            ambiguous.append(text.strip())
    if day_first_seen and month_first_seen:
        raise ParseError("ambiguous_date_format", f"The dates in {name!r} are written both day first "
                                                  f"({day_first_seen!r}) and month first ({month_first_seen!r}).")
    if day_first_seen or month_first_seen:
        return bool(month_first_seen)
    if ambiguous:
        examples = ", ".join(repr(text[:40]) for text in ambiguous)
        raise ParseError("ambiguous_date_format", f"The dates in {name!r} ({examples}) can be read day first or "
                                                  f"month first. {advice}")
    return False


def _readers(index: dict[str, int], columns: dict[str, str], timestamp_format: str | None,
             month_first: bool) -> tuple[Callable[[column_readers.Column], list[TradeDTO] | None],
                                         Callable[[list[str]], TradeDTO]]:
    """The block reader and the row reader of a mapping (see columns.collect)."""
    at = {name: column_index(index.get(name)) for name in _FIELDS}
    what = {name: columns.get(name, name) for name in _FIELDS}
    has_symbol = "symbol" in columns
    identity_state = RowIdentity("csv")
    identity = identity_state.ext_id
    pairs: dict[tuple[str, str], tuple[str, str, str]] = {}
    sides: dict[str, str] = {}

    def read_time(cell: str) -> tuple[datetime, str]:
        if timestamp_format is None and not month_first:
            return read_iso_time(cell, what=what["timestamp"])
        moment = parse_timestamp(cell, what=what["timestamp"], fmt=timestamp_format, month_first=month_first)
        return moment, moment.isoformat()

    def mapped_trade(cells: list[str]) -> TradeDTO:
        ts, iso = read_time(cells[at["timestamp"]])
        key = (cells[at["symbol"]], "") if has_symbol else (cells[at["base"]], cells[at["quote"]])
        known = pairs.get(key)
        if known is None:
            if has_symbol:
                base, quote = split_pair(key[0])
            else:
                base = clean_asset(key[0], what=what["base"])
                quote = clean_asset(key[1], what=what["quote"])
            known = pairs[key] = (base, quote, symbol_of(base, quote))
        base, quote, symbol = known
        side = sides.get(cells[at["side"]])
        if side is None:
            side = sides[cells[at["side"]]] = parse_side(cells[at["side"]], what=what["side"])
        qty, qty_text = _amount(cells[at["qty"]], what=what["qty"], asset=base)
        if qty <= 0:
            positive(qty, what=what["qty"])
        price, price_text, _ = read_money(cells[at["price"]], what=what["price"])
        if price <= 0:
            positive(price, what=what["price"])
        fee = None
        fee_text = fee_asset = ""
        fee_cell = cells[at["fee"]]
        if fee_cell.strip():
            fee, fee_text, fee_currency = read_money(fee_cell, what=what["fee"])
            if fee < 0:
                fee, fee_text = fee.copy_negate(), fee_text[1:]
            asset_cell = cells[at["fee_asset"]].strip()
            fee_asset = clean_asset(asset_cell, what=what["fee_asset"]) if asset_cell else fee_currency or quote
        ext_id = cells[at["ext_id"]].strip()
        if len(ext_id) > 128:
            raise RowProblem(f"{what['ext_id']} is longer than 128 characters")
        if not ext_id:
            ext_id = identity(iso, side, symbol, qty_text, price_text, fee_text, fee_asset)
        return new_trade(ext_id, symbol, side, qty, price, ts, fee, fee_asset, quote)

    fee_assets_read: dict[str, str] = {}

    def mapped_block(column: column_readers.Column) -> list[TradeDTO] | None:
        if timestamp_format is not None or month_first:
            return None
        read = column_readers.times(column(at["timestamp"]))
        qtys = column_readers.numbers(column(at["qty"]))
        prices = column_readers.numbers(column(at["price"]))
        if read is None or qtys is None or prices is None or not (all(qtys[0]) and all(prices[0])):
            return None
        has_fee = "fee" in columns
        fees = column_readers.numbers(column(at["fee"]), signed=True) if has_fee else None
        if has_fee and fees is None:
            return None
        try:
            if has_symbol:
                keys = list(zip(column(at["symbol"]), repeat("")))
            else:
                keys = list(zip(column(at["base"]), column(at["quote"]), strict=True))
            info = column_readers.lookup(keys, block_pairs, _pair)
            sides_read = column_readers.lookup(column(at["side"]), block_sides, _side)
            quotes = column_readers.field(info, 1)
            if not has_fee:
                fee_values, fee_texts, fee_assets = [None] * len(qtys[0]), [""] * len(qtys[0]), [""] * len(qtys[0])
            else:
                fee_values = [-fee if fee < 0 else fee for fee in fees[0]] if "-" in "".join(fees[1]) else fees[0]
                fee_texts = list(map(str.lstrip, fees[1], repeat("-")))
                fee_cells = column(at["fee_asset"])
                fee_assets = list(map(_or, column_readers.lookup(fee_cells, fee_assets_read, _fee_asset_of), quotes))
        except RowProblem:
            return None
        symbols = column_readers.field(info, 2)
        moments, isos = read
        ids = column(at["ext_id"])
        if max(map(len, ids)) > 128 or list(map(str.strip, ids)) != ids:
            return None
        if not all(ids):
            if any(ids):
                return None  # some rows with an id, some without: row by row
            keys = list(map("|".join, zip(isos, sides_read, symbols, qtys[1], prices[1], fee_texts, fee_assets,
                                          strict=True)))
            ids = column_readers.hashed_ids(identity_state, keys)
        return column_readers.trades(ids, symbols, sides_read, qtys[0], prices[0], moments, fee_values, fee_assets,
                                     quotes)

    block_pairs: dict[tuple[str, str], tuple[str, str, str]] = {}
    block_sides: dict[str, str] = {}

    def _pair(key: tuple[str, str]) -> tuple[str, str, str]:
        if has_symbol:
            base, quote = split_pair(key[0])
        else:
            base = clean_asset(key[0], what=what["base"])
            quote = clean_asset(key[1], what=what["quote"])
        return base, quote, symbol_of(base, quote)

    def _side(cell: str) -> str:
        return parse_side(cell, what=what["side"])

    def _fee_asset_of(cell: str) -> str:
        return clean_asset(cell, what=what["fee_asset"]) if cell.strip() else ""

    return mapped_block, mapped_trade


def _or(written: str, default: str) -> str:
    return written or default


def _amount(text: str, *, what: str, asset: str) -> tuple[Decimal, str]:
    """A quantity, bare (`0.05`) or with its asset glued on or after a space (`0.05BTC`, `0.05 BTC`, `5001INCH`),
    with its canonical text."""
    fast = plain_number(text)
    if fast is not None:
        return fast
    if not text.strip() or text.strip()[-1].isdigit():
        return read_decimal(text, what=what)
    value, value_text, written = read_glued(text.replace(" ", ""), what=what, asset=asset)
    if written not in ("", asset):
        raise RowProblem(f"{what} is in {written}, not in {asset}")
    return value, value_text


# Header names (as `header_key` compares them) that usually hold each mapped field, best first.
COLUMN_GUESSES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "datetime", "when", "date(utc)", "dateutc", "date", "time", "tradetime", "executedat",
                  "filledat", "createdat", "transactiondate"),
    "symbol": ("symbol", "pair", "market", "instrument", "ticker", "tradingpair"),
    "base": ("base", "baseasset", "basecurrency", "asset", "coin", "currency"),
    "quote": ("quote", "quoteasset", "quotecurrency", "pricecurrency"),
    "side": ("side", "type", "direction", "buysell", "action", "ordertype", "transactiontype"),
    "qty": ("qty", "quantity", "amount", "size", "volume", "executed", "filled", "units"),
    "price": ("price", "rate", "executionprice", "fillprice", "avgprice", "averageprice", "unitprice"),
    "fee": ("fee", "fees", "commission", "tradingfee", "feeamount"),
    "fee_asset": ("feeasset", "feecurrency", "feecoin", "commissionasset", "commissioncurrency"),
    "ext_id": ("tradeid", "id", "txid", "transactionid", "fillid", "orderid", "reference"),
}


def column_guesses(header: list[str]) -> dict[str, str]:
    """The mapping form's preselection: for each field, the first header (as written) whose name is one its
    column usually has; a header is used for one field at most, fields in `_FIELDS` order."""
    by_key = {}
    for cell in header:
        by_key.setdefault(header_key(cell), cell)
    used: set[str] = set()
    guesses = {}
    for field in _FIELDS:
        for name in COLUMN_GUESSES[field]:
            cell = by_key.get(name)
            if cell is not None and cell not in used:
                guesses[field] = cell
                used.add(cell)
                break
    return guesses


def sample_rows(table: Table, *, limit: int = 3) -> list[list[str]]:
    """The first readable data rows, to show beside the mapping form."""
    return [record.cells for record in islice((r for r in table.records() if not r.problem), limit)]
