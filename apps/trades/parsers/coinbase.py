"""Coinbase exports: the app's Transaction history (every header version) and Coinbase Pro/Exchange fills
and account statements."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from apps.brokers.adapters.base import TradeDTO

from .base import FormatSpec, ParseResult, ResultBuilder, RowIdentity, RowProblem
from .table import Record, Table
from .values import (
    CURRENCY_SYMBOLS,
    clean_asset,
    decimal_text,
    divide,
    parse_decimal,
    parse_money,
    parse_side,
    parse_timestamp,
    positive,
    quote_of,
    split_pair,
    stored,
    symbol_of,
)

BROKER = "coinbase"
_MAX_ID = 128

# --- Transaction history ------------------------------------------------------------------------------

_TRADE_TYPES = {
    "buy": "BUY", "sell": "SELL", "advanced trade buy": "BUY", "advanced trade sell": "SELL",
}
_ADVANCED_NOTE = re.compile(
    r"\bon\s+(?P<base>[A-Z0-9]{1,15})-(?P<quote>[A-Z0-9]{1,15})\s+at\s+[^\d\s]{0,3}"
    r"(?P<price>\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d{1,4})?)\s*(?P<unit>[A-Z0-9]{1,15})?/(?P<per>[A-Z0-9]{1,15})\b"
)


def _index(keys: list[str], pattern: str) -> tuple[int | None, re.Match | None]:
    compiled = re.compile(pattern)
    for index, key in enumerate(keys):
        match = compiled.fullmatch(key)
        if match:
            return index, match
    return None, None


@dataclass(slots=True)
class _HistoryColumns:
    id: int | None
    timestamp: int
    type: int
    asset: int
    quantity: int
    price: int | None
    price_currency: int | None
    baked_currency: str
    fees: int | None
    notes: int | None
    subtotal: int | None = None
    price_name: str = ""
    fees_name: str = ""
    subtotal_name: str = ""


def _history_columns(table: Table) -> _HistoryColumns:
    keys = table.keys
    price, _ = _index(keys, r"(?:spot)?priceattransaction")
    baked = ""
    if price is None:
        price, match = _index(keys, r"([a-z]{3,5})(?:spot)?priceattransaction")
        baked = match[1].upper() if match else ""
    fees, _ = _index(keys, r"(?:fees|fee)(?:and/orspread)?")
    if fees is None:
        fees, _ = _index(keys, r"[a-z]{3,5}(?:fees|fee)(?:and/orspread)?")
    columns = _HistoryColumns(
        id=_index(keys, r"id|transactionid")[0],
        timestamp=_index(keys, r"timestamp")[0],
        type=_index(keys, r"transactiontype")[0],
        asset=_index(keys, r"asset")[0],
        quantity=_index(keys, r"quantitytransacted")[0],
        price=price,
        price_currency=_index(keys, r"(?:spot)?pricecurrency")[0],
        baked_currency=baked,
        fees=fees,
        notes=_index(keys, r"notes")[0],
    )
    columns.subtotal = _index(keys, r"(?:[a-z]{3,5})?subtotal")[0]
    columns.subtotal_name = table.header[columns.subtotal] if columns.subtotal is not None else "Subtotal"
    columns.price_name = table.header[price] if price is not None else "Price at Transaction"
    columns.fees_name = table.header[fees] if fees is not None else "Fees"
    return columns


def parse_transaction_history(table: Table) -> ParseResult:
    result = ResultBuilder(format="coinbase_transactions", broker=BROKER)
    columns = _history_columns(table)
    identity = RowIdentity("cbtx")
    for record in table.records():
        result.total_rows += 1
        if record.problem:
            result.error(record.line, record.problem)
            continue
        kind = " ".join(record.cell(columns.type).split())
        if not kind:
            result.error(record.line, "Transaction Type is empty")
            continue
        side = _TRADE_TYPES.get(kind.lower())
        if side is None and kind.lower() != "convert":
            result.skip(kind[:64])
            continue
        try:
            if side is None:
                trade, raw = _convert_trade(record, columns, identity)
            else:
                trade, raw = _history_trade(record, columns, side, identity)
            result.add(trade, record.line, raw)
        except RowProblem as problem:
            result.error(record.line, problem.reason)
    return result.build()


def _row_id(record: Record, columns: _HistoryColumns) -> str:
    ext_id = record.cell(columns.id).strip()
    if len(ext_id) > _MAX_ID:
        raise RowProblem(f"ID is longer than {_MAX_ID} characters")
    return ext_id


def _currency(record: Record, columns: _HistoryColumns, cell_currency: str) -> str:
    currency_cell = record.cell(columns.price_currency).strip()
    currency_cell = CURRENCY_SYMBOLS.get(currency_cell, currency_cell)
    currency = (clean_asset(currency_cell, what="Price Currency") if currency_cell
                else columns.baked_currency or cell_currency)
    if not currency:
        raise RowProblem("the price currency is missing")
    return currency


def _fee(record: Record, columns: _HistoryColumns) -> Decimal | None:
    fee_cell = record.cell(columns.fees)
    return abs(parse_money(fee_cell, what=columns.fees_name)[0]) if fee_cell.strip() else None


def _history_trade(record: Record, columns: _HistoryColumns, side: str,
                   identity: RowIdentity) -> tuple[TradeDTO, dict]:
    """A Buy or Sell. Its price is what the user paid or got per unit, Subtotal ÷ Quantity: "Price at
    Transaction" is Coinbase's spot price, which leaves out its spread. Both are kept in the raw data."""
    ts = parse_timestamp(record.cell(columns.timestamp))
    asset = clean_asset(record.cell(columns.asset), what="Asset")
    # Newer files write sells as negative quantities; the side comes from the type.
    qty = positive(abs(parse_decimal(record.cell(columns.quantity), what="Quantity Transacted")),
                   what="Quantity Transacted")
    if columns.price is None:
        raise RowProblem("the file has no price column")
    spot, cell_currency = parse_money(record.cell(columns.price), what=columns.price_name)
    spot = positive(spot, what=columns.price_name)
    currency = _currency(record, columns, cell_currency)
    fee = _fee(record, columns)
    base, quote, price = asset, currency, spot
    raw: dict = {"spotPrice": decimal_text(spot)}
    note = _ADVANCED_NOTE.search(record.cell(columns.notes))
    if note and note["base"] == asset and note["per"] == asset and note["unit"] in (None, note["quote"]):
        # Advanced Trade rows say what was really traded and at what price: "… on ETH-BTC at 0.05 BTC/ETH".
        quote = note["quote"]
        price = positive(parse_decimal(note["price"], what="Notes price"), what="Notes price")
        raw["priceSource"] = "notes"
    elif record.cell(columns.subtotal).strip():
        subtotal = abs(parse_money(record.cell(columns.subtotal), what=columns.subtotal_name)[0])
        price = positive(divide(subtotal, qty, what=columns.subtotal_name), what=columns.subtotal_name)
        spread = subtotal - qty * spot if side == "BUY" else qty * spot - subtotal
        raw.update(priceSource="subtotal", subtotal=decimal_text(subtotal), spread=decimal_text(stored(spread)))
    else:
        raw["priceSource"] = "spot"
    symbol = symbol_of(base, quote)
    ext_id = _row_id(record, columns)
    if not ext_id:
        # Rows without an id are known by their hash, which has always been of the spot price: keep it so.
        ext_id = identity.ext_id(ts.isoformat(), side, symbol, decimal_text(qty),
                                 decimal_text(price if raw["priceSource"] == "notes" else spot),
                                 decimal_text(fee) if fee is not None else "")
    return TradeDTO(ext_id=ext_id, symbol=symbol, side=side, qty=qty, price=price, ts=ts, fee=fee,
                    fee_asset=currency if fee is not None else "", quote_asset=quote), raw


_CONVERT_NOTE = re.compile(
    r"Converted\s+(?P<amount>[\d.,]+(?:[eE][-+]?\d{1,4})?)\s+(?P<asset>[A-Z0-9]{1,15})\s+to\s+"
    r"(?P<to_amount>[\d.,]+(?:[eE][-+]?\d{1,4})?)\s+(?P<to_asset>[A-Z0-9]{1,15})"
)


def _convert_trade(record: Record, columns: _HistoryColumns, identity: RowIdentity) -> tuple[TradeDTO, dict]:
    """A Convert (crypto → crypto), e.g. "Converted 0.1 ETH to 0.0033 BTC": a trade in the pair of the two
    assets (here a SELL of ETH-BTC at 0.033), with Coinbase's spread (Fees and/or Spread, in the price currency)
    as the fee."""
    ts = parse_timestamp(record.cell(columns.timestamp))
    note = _CONVERT_NOTE.search(record.cell(columns.notes))
    if note is None:
        raise RowProblem("Convert: the notes do not say what was converted into what")
    given = positive(parse_decimal(note["amount"], what="Converted amount"), what="Converted amount")
    got = positive(parse_decimal(note["to_amount"], what="Converted amount"), what="Converted amount")
    spent, received = note["asset"], note["to_asset"]
    quote = quote_of(spent, received)
    if quote == received:
        base, side, qty, total = spent, "SELL", given, got
    else:
        base, side, qty, total = received, "BUY", got, given
    price = positive(divide(total, qty, what="Converted amount"), what="Converted amount")
    symbol = symbol_of(base, quote)
    fee = _fee(record, columns)
    fee_asset = ""
    if fee is not None:
        fee_asset = _currency(record, columns, parse_money(record.cell(columns.fees), what=columns.fees_name)[1])
    ext_id = _row_id(record, columns) or identity.ext_id(ts.isoformat(), "CONVERT", spent, decimal_text(given),
                                                        received, decimal_text(got))
    raw = {"converted": f"{decimal_text(given)} {spent}", "into": f"{decimal_text(got)} {received}"}
    return TradeDTO(ext_id=ext_id, symbol=symbol, side=side, qty=qty, price=price, ts=ts, fee=fee,
                    fee_asset=fee_asset, quote_asset=quote), raw


TRANSACTION_HISTORY = FormatSpec(
    name="coinbase_transactions",
    broker=BROKER,
    required=(frozenset({"timestamp"}), frozenset({"transactiontype"}), frozenset({"asset"}),
              frozenset({"quantitytransacted"})),
    parse=parse_transaction_history,
)

# --- Coinbase Pro / Exchange fills ---------------------------------------------------------------------


def parse_pro_fills(table: Table) -> ParseResult:
    result = ResultBuilder(format="coinbase_pro_fills", broker=BROKER)
    keys = table.keys
    column = {name: keys.index(name) if name in keys else None
              for name in ("tradeid", "product", "side", "createdat", "size", "sizeunit", "price", "fee",
                           "price/fee/totalunit")}
    return result.collect(table, lambda record: _pro_fill(record, column))


def _pro_fill(record: Record, column: dict[str, int | None]) -> TradeDTO:
    trade_id = record.cell(column["tradeid"]).strip()
    if not trade_id:
        raise RowProblem("trade id is empty")
    base, quote = split_pair(record.cell(column["product"]))
    symbol = symbol_of(base, quote)
    side = parse_side(record.cell(column["side"]), what="side")
    ts = parse_timestamp(record.cell(column["createdat"]), what="created at")
    size = positive(parse_decimal(record.cell(column["size"]), what="size"), what="size")
    price = positive(parse_decimal(record.cell(column["price"]), what="price"), what="price")
    size_unit = record.cell(column["sizeunit"]).strip().upper()
    if size_unit and size_unit not in (base, quote):
        raise RowProblem(f"size unit {size_unit[:16]!r} is neither {base} nor {quote}")
    qty = divide(size, price, what="size") if size_unit == quote else size
    positive(qty, what="size")
    fee_cell = record.cell(column["fee"])
    fee = abs(parse_decimal(fee_cell, what="fee")) if fee_cell.strip() else None
    unit = record.cell(column["price/fee/totalunit"]).strip()
    fee_asset = clean_asset(unit, what="price/fee/total unit") if unit else quote
    ext_id = f"{symbol}:{trade_id}"
    if len(ext_id) > _MAX_ID:
        raise RowProblem(f"trade id is longer than {_MAX_ID - len(symbol) - 1} characters")
    return TradeDTO(ext_id=ext_id, symbol=symbol, side=side, qty=qty, price=price, ts=ts, fee=fee,
                    fee_asset=fee_asset if fee is not None else "", quote_asset=quote)


PRO_FILLS = FormatSpec(
    name="coinbase_pro_fills",
    broker=BROKER,
    required=(frozenset({"tradeid"}), frozenset({"product"}), frozenset({"side"}), frozenset({"createdat"}),
              frozenset({"size"}), frozenset({"price"})),
    parse=parse_pro_fills,
)

# --- Coinbase Pro / Exchange account statement: one row per match leg and per fee ----------------------


@dataclass(slots=True)
class _Match:
    line: int
    trade_id: str
    ts: datetime | None = None
    legs: dict[str, Decimal] = field(default_factory=dict)
    fee: Decimal = Decimal(0)
    fee_asset: str = ""
    problem: str = ""


def parse_pro_account(table: Table) -> ParseResult:
    result = ResultBuilder(format="coinbase_pro_fills", broker=BROKER)
    keys = table.keys
    column = {name: keys.index(name) if name in keys else None
              for name in ("type", "time", "amount", "amount/balanceunit", "tradeid", "orderid")}
    matches: dict[tuple[str, str], _Match] = {}
    for record in table.records():
        result.total_rows += 1
        if record.problem:
            result.error(record.line, record.problem)
            continue
        kind = " ".join(record.cell(column["type"]).split())
        if kind.lower() not in ("match", "fee"):
            if kind:
                result.skip(kind[:64])
            else:
                result.error(record.line, "type is empty")
            continue
        trade_id = record.cell(column["tradeid"]).strip()
        if not trade_id:
            result.error(record.line, f"{kind} row without a trade id")
            continue
        entry = matches.setdefault((trade_id, record.cell(column["orderid"]).strip()),
                                   _Match(line=record.line, trade_id=trade_id))
        if entry.problem:
            continue
        try:
            amount = parse_decimal(record.cell(column["amount"]), what="amount")
            unit = clean_asset(record.cell(column["amount/balanceunit"]), what="amount/balance unit")
            if kind.lower() == "fee":
                entry.fee += abs(amount)
                entry.fee_asset = entry.fee_asset or unit
            else:
                entry.ts = entry.ts or parse_timestamp(record.cell(column["time"]), what="time")
                entry.legs[unit] = entry.legs.get(unit, Decimal(0)) + amount
        except RowProblem as problem:
            entry.problem = problem.reason if record.line == entry.line else f"line {record.line}: {problem.reason}"
    for entry in matches.values():
        try:
            if entry.problem:
                raise RowProblem(entry.problem)
            result.add(_account_trade(entry), entry.line)
        except RowProblem as problem:
            result.error(entry.line, f"trade {entry.trade_id[:40]}: {problem.reason}")
    return result.build()


def _account_trade(entry: _Match) -> TradeDTO:
    if len(entry.legs) != 2 or entry.ts is None:
        raise RowProblem("needs exactly two match rows in different currencies")
    first, second = entry.legs
    quote = quote_of(first, second)
    base = second if quote == first else first
    base_amount, quote_amount = entry.legs[base], entry.legs[quote]
    if base_amount == 0 or quote_amount == 0 or (base_amount > 0) == (quote_amount > 0):
        raise RowProblem("the two match rows must move in opposite directions")
    qty = abs(base_amount)
    price = positive(divide(abs(quote_amount), qty, what="price"), what="price")
    symbol = symbol_of(base, quote)
    ext_id = f"{symbol}:{entry.trade_id}"
    if len(ext_id) > _MAX_ID:
        raise RowProblem("trade id is too long")
    has_fee = bool(entry.fee_asset)
    return TradeDTO(ext_id=ext_id, symbol=symbol, side="BUY" if base_amount > 0 else "SELL", qty=qty, price=price,
                    ts=entry.ts, fee=entry.fee if has_fee else None, fee_asset=entry.fee_asset, quote_asset=quote)


PRO_ACCOUNT = FormatSpec(
    name="coinbase_pro_fills",
    broker=BROKER,
    required=(frozenset({"type"}), frozenset({"time"}), frozenset({"amount"}), frozenset({"amount/balanceunit"}),
              frozenset({"tradeid"})),
    parse=parse_pro_account,
)

SPECS = (TRANSACTION_HISTORY, PRO_FILLS, PRO_ACCOUNT)
