"""Any CSV, read through the column mapping a user saved for its source."""
from __future__ import annotations

from decimal import Decimal

from apps.brokers.adapters.base import TradeDTO

from .base import ColumnMapping, ParseError, ParseResult, ResultBuilder, RowIdentity, RowProblem
from .table import Record, Table, header_key, read_table
from .values import (
    NUMERIC_DATE,
    clean_asset,
    decimal_text,
    parse_decimal,
    parse_glued,
    parse_money,
    parse_side,
    parse_timestamp,
    positive,
    split_pair,
    symbol_of,
)

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
        month_first = _month_first(table, index["timestamp"], columns["timestamp"])
    result = ResultBuilder(format="generic", broker="csv")
    identity = RowIdentity("csv")
    return result.collect(table, lambda record: _trade(record, index, columns, mapping.timestamp_format, identity,
                                                       month_first))


def _month_first(table: Table, column: int, name: str) -> bool:
    """Whether dates like `5/1/2022` in the column are month first, decided by the whole column: a first part
    over 12 means day first, a second part over 12 month first. When no value settles it, the user is asked."""
    ambiguous: list[str] = []
    day_first_seen = month_first_seen = ""
    for record in table.records():
        text = record.cell(column)
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
                                                  "month first. Give the timestamp format in the mapping: "
                                                  "%d/%m/%Y %H:%M for day first, %m/%d/%Y %H:%M for month first.")
    return False


def _trade(record: Record, index: dict[str, int], columns: dict[str, str], timestamp_format: str | None,
           identity: RowIdentity, month_first: bool) -> TradeDTO:
    def cell(name: str) -> str:
        return record.cell(index.get(name))

    ts = parse_timestamp(cell("timestamp"), what=columns["timestamp"], fmt=timestamp_format, month_first=month_first)
    if "symbol" in columns:
        base, quote = split_pair(cell("symbol"))
    else:
        base = clean_asset(cell("base"), what=columns["base"])
        quote = clean_asset(cell("quote"), what=columns["quote"])
    symbol = symbol_of(base, quote)
    side = parse_side(cell("side"), what=columns["side"])
    qty = positive(_amount(cell("qty"), what=columns["qty"], asset=base), what=columns["qty"])
    price, _ = parse_money(cell("price"), what=columns["price"])
    price = positive(price, what=columns["price"])
    fee = None
    fee_asset = ""
    if cell("fee").strip():
        fee, fee_currency = parse_money(cell("fee"), what=columns["fee"])
        fee = abs(fee)
        asset_cell = cell("fee_asset").strip()
        fee_asset = clean_asset(asset_cell, what=columns["fee_asset"]) if asset_cell else fee_currency or quote
    ext_id = cell("ext_id").strip()
    if len(ext_id) > 128:
        raise RowProblem(f"{columns['ext_id']} is longer than 128 characters")
    if not ext_id:
        ext_id = identity.ext_id(ts.isoformat(), side, symbol, decimal_text(qty), decimal_text(price),
                                 decimal_text(fee) if fee is not None else "", fee_asset)
    return TradeDTO(ext_id=ext_id, symbol=symbol, side=side, qty=qty, price=price, ts=ts, fee=fee,
                    fee_asset=fee_asset, quote_asset=quote)


def _amount(text: str, *, what: str, asset: str) -> Decimal:
    """A quantity, bare (`0.05`) or with its asset glued on or after a space (`0.05BTC`, `0.05 BTC`, `5001INCH`)."""
    if not text.strip() or text.strip()[-1].isdigit():
        return parse_decimal(text, what=what)
    value, written = parse_glued(text, what=what, assets=(asset,))
    if written not in ("", asset):
        raise RowProblem(f"{what} is in {written}, not in {asset}")
    return value
