"""Binance exports: Spot Trade History (current), the old semicolon Trade History and the old Order History
with its fills nested under each order. Binance puts no trade id in any of them, so every format hashes the
same normalised fill (time, symbol, side, price, quantity, fee) and one fill gets one id whichever export it
came from."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from apps.brokers.adapters.base import TradeDTO

from .base import FormatSpec, ParseError, ParseResult, ResultBuilder, RowIdentity, RowProblem
from .binance_headers import (
    ORDER_FIELDS,
    ORDER_HISTORY,
    SPOT_TRADE_FIELDS,
    SPOT_TRADE_HISTORY,
    columns_of,
    required_groups,
)
from .table import Record, Table, header_key
from .values import (
    clean_asset,
    decimal_text,
    parse_decimal,
    parse_glued,
    parse_side,
    parse_timestamp,
    positive,
    split_pair,
    symbol_of,
)

BROKER = "binance"

# Header names of the English UI, for the old layouts (the current ones are in binance_headers).
_DATE = frozenset(header_key(name) for name in ("Date(UTC)", "Date", "Time", "Time(UTC)", "Date(UTC+0)"))
_ALIASES = {"date": _DATE}


def _column(keys: list[str], names: set[str]) -> int | None:
    for index, key in enumerate(keys):
        if key in names:
            return index
    return None


def binance_trade(*, ts: datetime, base: str, quote: str, side: str, qty: Decimal, price: Decimal, fee: Decimal | None,
           fee_asset: str, identity: RowIdentity) -> TradeDTO:
    symbol = symbol_of(base, quote)
    ext_id = identity.ext_id(ts.isoformat(), symbol, side, decimal_text(price), decimal_text(qty),
                             decimal_text(fee) if fee is not None else "", fee_asset)
    return TradeDTO(ext_id=ext_id, symbol=symbol, side=side, qty=qty, price=price, ts=ts, fee=fee,
                    fee_asset=fee_asset, quote_asset=quote)


def _longest_first(*assets: str) -> tuple[str, ...]:
    return tuple(sorted(set(assets), key=len, reverse=True))


def _fee(cell: str, *, what: str, assets: tuple[str, ...]) -> tuple[Decimal | None, str]:
    if not cell.strip():
        return None, ""
    value, asset = parse_glued(cell, what=what, assets=assets)
    return abs(value), asset


# --- Spot Trade History (current) --------------------------------------------------------------------


_SPOT_REQUIRED = ("date", "pair", "side", "price", "executed", "amount")


def parse_spot_trade_history(table: Table) -> ParseResult:
    result = ResultBuilder(format="binance_spot_trade_history", broker=BROKER)
    column = columns_of(table.keys, SPOT_TRADE_HISTORY, SPOT_TRADE_FIELDS, _SPOT_REQUIRED)
    if column is None:
        raise ParseError("unknown_format")
    identity = RowIdentity("bnc")
    return result.collect(table, lambda record: _spot_trade(record, column, identity))


def _spot_trade(record: Record, column: dict[str, int | None], identity: RowIdentity) -> TradeDTO:
    ts = parse_timestamp(record.cell(column["date"]), what="Date(UTC)")
    amount_cell = record.cell(column["amount"])
    amount, amount_asset = parse_glued(amount_cell, what="Amount") if amount_cell.strip() else (None, "")
    base, quote = split_pair(record.cell(column["pair"]), quote_hint=amount_asset)
    side = parse_side(record.cell(column["side"]))
    qty, qty_asset = parse_glued(record.cell(column["executed"]), what="Executed", assets=(base,))
    if qty_asset not in ("", base):
        raise RowProblem(f"Executed is in {qty_asset}, not in {base}")
    price, price_asset = parse_glued(record.cell(column["price"]), what="Price", assets=(quote,))
    if price_asset not in ("", quote):
        raise RowProblem(f"Price is in {price_asset}, not in {quote}")
    if amount is not None and amount_asset not in ("", quote):
        raise RowProblem(f"Amount is in {amount_asset}, not in {quote}")
    fee, fee_asset = _fee(record.cell(column["fee"]), what="Fee", assets=_longest_first(base, quote, "BNB"))
    return binance_trade(ts=ts, base=base, quote=quote, side=side, qty=positive(qty, what="Executed"),
                  price=positive(price, what="Price"), fee=fee, fee_asset=fee_asset, identity=identity)


SPOT_TRADE_HISTORY_SPEC = FormatSpec(
    name="binance_spot_trade_history",
    broker=BROKER,
    required=required_groups(SPOT_TRADE_HISTORY, SPOT_TRADE_FIELDS, _SPOT_REQUIRED),
    parse=parse_spot_trade_history,
)

# --- Old Trade History: Date(UTC);Market;Type;Price;Amount;Total;Fee;Fee Coin ------------------------


def parse_old_trade_history(table: Table) -> ParseResult:
    result = ResultBuilder(format="binance_trade_history_old", broker=BROKER)
    keys = table.keys
    column = {name: _column(keys, {name}) for name in ("market", "type", "price", "amount", "fee", "feecoin")}
    column["date"] = _column(keys, _ALIASES["date"])
    identity = RowIdentity("bnc")
    return result.collect(table, lambda record: _old_trade(record, column, identity))


def _old_trade(record: Record, column: dict[str, int | None], identity: RowIdentity) -> TradeDTO:
    ts = parse_timestamp(record.cell(column["date"]), what="Date(UTC)")
    fee_coin = record.cell(column["feecoin"]).strip()
    fee_asset = clean_asset(fee_coin, what="Fee Coin") if fee_coin else ""
    base, quote = split_pair(record.cell(column["market"]))
    side = parse_side(record.cell(column["type"]), what="Type")
    price = positive(parse_decimal(record.cell(column["price"]), what="Price"), what="Price")
    qty = positive(parse_decimal(record.cell(column["amount"]), what="Amount"), what="Amount")
    fee_cell = record.cell(column["fee"])
    fee = abs(parse_decimal(fee_cell, what="Fee")) if fee_cell.strip() else None
    return binance_trade(ts=ts, base=base, quote=quote, side=side, qty=qty, price=price, fee=fee,
                  fee_asset=fee_asset if fee is not None else "", identity=identity)


OLD_TRADE_HISTORY = FormatSpec(
    name="binance_trade_history_old",
    broker=BROKER,
    required=(frozenset(_ALIASES["date"]), frozenset({"market"}), frozenset({"type"}), frozenset({"price"}),
              frozenset({"amount"}), frozenset({"total"}), frozenset({"fee"}), frozenset({"feecoin"})),
    parse=parse_old_trade_history,
)

# --- Old Order History: order rows, each followed by a sub-header and its fill rows, indented one cell ----


def parse_old_order_history(table: Table) -> ParseResult:
    result = ResultBuilder(format="binance_order_history_old", broker=BROKER)
    keys = table.keys
    order_column = {"date": _column(keys, _ALIASES["date"]), "pair": _column(keys, {"pair"}),
                    "type": _column(keys, {"type"})}
    fill_column = dict(_DEFAULT_FILL_COLUMNS)
    identity = RowIdentity("bnc")
    order: tuple[str, str, str] | None = None  # base, quote, side
    order_problem = ""
    for record in table.records():
        if record.problem:
            result.total_rows += 1
            result.error(record.line, record.problem)
            continue
        nested = len(record.cells) > 1 and not record.cells[0].strip()
        if nested and header_key(record.cells[1]) in _ALIASES["date"]:
            fill_keys = [header_key(cell) for cell in record.cells]
            fill_column = {name: _column(fill_keys, names) for name, names in _FILL_NAMES.items()}
            continue
        result.total_rows += 1
        if not nested:
            result.skip("Order summary")
            try:
                order = (*split_pair(record.cell(order_column["pair"])),
                         parse_side(record.cell(order_column["type"]), what="Type"))
                order_problem = ""
            except RowProblem as problem:
                order, order_problem = None, f"its order (above) cannot be read: {problem.reason}"
            continue
        try:
            if order is None:
                raise RowProblem(order_problem or "fill row before any order row")
            result.add(_order_fill(record, fill_column, order, identity), record.line)
        except RowProblem as problem:
            result.error(record.line, problem.reason)
    return result.build()


_FILL_NAMES = {"date": _DATE, "price": {"tradingprice", "price"}, "filled": {"filled"},
               "fee": {"fee"}}
_DEFAULT_FILL_COLUMNS = {"date": 1, "price": 2, "filled": 3, "fee": 5}


def _order_fill(record: Record, column: dict[str, int | None], order: tuple[str, str, str],
                identity: RowIdentity) -> TradeDTO:
    base, quote, side = order
    ts = parse_timestamp(record.cell(column["date"]), what="Date(UTC)")
    price = positive(parse_decimal(record.cell(column["price"]), what="Trading Price"), what="Trading Price")
    qty, qty_asset = parse_glued(record.cell(column["filled"]), what="Filled", assets=(base,))
    if qty_asset not in ("", base):
        raise RowProblem(f"Filled is in {qty_asset}, not in {base}")
    fee, fee_asset = _fee(record.cell(column["fee"]), what="Fee", assets=_longest_first(base, quote, "BNB"))
    return binance_trade(ts=ts, base=base, quote=quote, side=side, qty=positive(qty, what="Filled"), price=price, fee=fee,
                  fee_asset=fee_asset, identity=identity)


OLD_ORDER_HISTORY = FormatSpec(
    name="binance_order_history_old",
    broker=BROKER,
    required=(frozenset(_ALIASES["date"]), frozenset({"pair"}), frozenset({"type"}), frozenset({"orderprice"}),
              frozenset({"filled"})),
    parse=parse_old_order_history,
)

# --- Order History (2021+): one row per order; filled and partly filled orders are trades at the average price --


_ORDER_REQUIRED = ("date", "orderno", "pair", "side", "executed", "averageprice", "status")


def parse_order_history(table: Table) -> ParseResult:
    result = ResultBuilder(format="binance_order_history", broker=BROKER)
    column = columns_of(table.keys, ORDER_HISTORY, ORDER_FIELDS, _ORDER_REQUIRED)
    if column is None:
        raise ParseError("unknown_format")
    for record in table.records():
        result.total_rows += 1
        if record.problem:
            result.error(record.line, record.problem)
            continue
        try:
            trade = _order(record, column)
        except RowProblem as problem:
            result.error(record.line, problem.reason)
            continue
        if isinstance(trade, str):
            result.skip(trade)
        else:
            result.add(trade, record.line)
    return result.build()


def _order(record: Record, column: dict[str, int | None]) -> TradeDTO | str:
    """The order's trade, or the status it is skipped under when nothing of it was executed."""
    status = " ".join(record.cell(column["status"]).split())
    total_cell = record.cell(column["total"])
    total_asset = parse_glued(total_cell, what="Trading total")[1] if total_cell.strip() else ""
    base, quote = split_pair(record.cell(column["pair"]), quote_hint=total_asset)
    executed_cell = record.cell(column["executed"])
    qty, qty_asset = parse_glued(executed_cell, what="Executed", assets=(base,)) if executed_cell.strip() else (0, "")
    if qty_asset not in ("", base):
        raise RowProblem(f"Executed is in {qty_asset}, not in {base}")
    if qty == 0:
        return f"{status.title() or 'No status'} (not executed)"
    side = parse_side(record.cell(column["side"]))
    price, price_asset = parse_glued(record.cell(column["averageprice"]), what="Average Price", assets=(quote,))
    if price_asset not in ("", quote):
        raise RowProblem(f"Average Price is in {price_asset}, not in {quote}")
    time_cell = record.cell(column["time"]) if column["time"] is not None else ""
    ts = parse_timestamp(time_cell if time_cell.strip() else record.cell(column["date"]), what="Date(UTC)")
    symbol = symbol_of(base, quote)
    order_no = record.cell(column["orderno"]).strip()
    if not order_no or len(order_no) > 64:
        raise RowProblem("OrderNo is empty" if not order_no else "OrderNo is longer than 64 characters")
    return TradeDTO(ext_id=f"bnc-order-{symbol}:{order_no}", symbol=symbol, side=side,
                    qty=positive(qty, what="Executed"), price=positive(price, what="Average Price"), ts=ts,
                    fee=None, fee_asset="", quote_asset=quote)


ORDER_HISTORY_SPEC = FormatSpec(
    name="binance_order_history",
    broker=BROKER,
    required=required_groups(ORDER_HISTORY, ORDER_FIELDS, _ORDER_REQUIRED),
    parse=parse_order_history,
)

SPECS = (ORDER_HISTORY_SPEC, SPOT_TRADE_HISTORY_SPEC, OLD_TRADE_HISTORY, OLD_ORDER_HISTORY)

