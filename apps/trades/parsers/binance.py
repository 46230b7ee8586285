"""Binance exports: Spot Trade History (current), the old semicolon Trade History and the old Order History
with its fills nested under each order. Binance puts no trade id in any of them, so every format hashes the
same normalised fill (time, symbol, side, price, quantity, fee) and one fill gets one id whichever export it
came from."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from apps.brokers.adapters.base import TradeDTO

from .base import FormatSpec, ParseResult, ResultBuilder, RowIdentity, RowProblem
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

# Header names as the English UI writes them, then as other UI languages do (keys from table.header_key).
_ALIASES = {
    "date": {"date(utc)", "date", "time", "time(utc)", "datum(utc)", "datum", "fecha(utc)", "fecha", "data(utc)",
             "data", "tarih(utc)", "дата(utc)", "дата", "日期(utc)", "date(utc+0)"},
    "pair": {"pair", "paar", "paire", "par", "coppia", "пара", "parite", "交易对"},
    "side": {"side", "seite", "cote", "sens", "lado", "lato", "сторона", "yon", "方向"},
    "price": {"price", "preis", "prix", "precio", "prezzo", "preco", "цена", "fiyat", "价格"},
    "executed": {"executed", "ausgefuhrt", "execute", "ejecutado", "eseguito", "executado", "исполнено",
                 "gerceklesen", "已成交"},
    "amount": {"amount", "betrag", "montant", "monto", "importe", "importo", "montante", "сумма", "tutar", "成交额"},
    "fee": {"fee", "gebuhr", "gebuhren", "frais", "comision", "commissione", "taxa", "комиссия", "komisyon", "手续费"},
}


def _column(keys: list[str], names: set[str]) -> int | None:
    for index, key in enumerate(keys):
        if key in names:
            return index
    return None


def _trade(*, ts: datetime, base: str, quote: str, side: str, qty: Decimal, price: Decimal, fee: Decimal | None,
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


def parse_spot_trade_history(table: Table) -> ParseResult:
    result = ResultBuilder(format="binance_spot_trade_history", broker=BROKER)
    keys = table.keys
    column = {name: _column(keys, names) for name, names in _ALIASES.items()}
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
    return _trade(ts=ts, base=base, quote=quote, side=side, qty=positive(qty, what="Executed"),
                  price=positive(price, what="Price"), fee=fee, fee_asset=fee_asset, identity=identity)


SPOT_TRADE_HISTORY = FormatSpec(
    name="binance_spot_trade_history",
    broker=BROKER,
    required=tuple(frozenset(_ALIASES[name]) for name in ("date", "pair", "side", "price", "executed", "amount")),
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
    return _trade(ts=ts, base=base, quote=quote, side=side, qty=qty, price=price, fee=fee,
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
            result.trades.append(_order_fill(record, fill_column, order, identity))
        except RowProblem as problem:
            result.error(record.line, problem.reason)
    return result.build()


_FILL_NAMES = {"date": _ALIASES["date"], "price": {"tradingprice", "price"}, "filled": {"filled"},
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
    return _trade(ts=ts, base=base, quote=quote, side=side, qty=positive(qty, what="Filled"), price=price, fee=fee,
                  fee_asset=fee_asset, identity=identity)


OLD_ORDER_HISTORY = FormatSpec(
    name="binance_order_history_old",
    broker=BROKER,
    required=(frozenset(_ALIASES["date"]), frozenset({"pair"}), frozenset({"type"}), frozenset({"orderprice"}),
              frozenset({"filled"})),
    parse=parse_old_order_history,
)

SPECS = (SPOT_TRADE_HISTORY, OLD_TRADE_HISTORY, OLD_ORDER_HISTORY)

