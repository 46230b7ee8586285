"""Binance exports: Spot Trade History (current), the old semicolon Trade History and the old Order History
with its fills nested under each order. Binance puts no trade id in any of them, so every format hashes the
same normalised fill (time, symbol, side, price, quantity, fee) and one fill gets one id whichever export it
came from."""
from __future__ import annotations

import operator
from datetime import datetime
from decimal import Decimal
from itertools import compress, repeat

from apps.brokers.types import TradeDTO

from . import columns
from .base import FormatSpec, ParseError, ParseResult, ResultBuilder, RowIdentity, RowProblem, new_trade
from .binance_headers import (
    ORDER_FIELDS,
    ORDER_HISTORY,
    SPOT_TRADE_FIELDS,
    SPOT_TRADE_HISTORY,
    columns_of,
    required_groups,
)
from .table import Record, Table, column_index, header_key
from .values import (
    clean_asset,
    decimal_text,
    parse_decimal,
    parse_glued,
    parse_side,
    parse_timestamp,
    plain_number,
    positive,
    read_decimal,
    read_glued,
    read_time,
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


def binance_trade(*, ts: datetime, base: str, quote: str, side: str, qty: Decimal, price: Decimal,
                  fee: Decimal | None, fee_asset: str, identity: RowIdentity) -> TradeDTO:
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
    return value.copy_abs(), asset


def _read_fee(cell: str, assets: tuple[str, ...]) -> tuple[Decimal | None, str, str]:
    """A glued fee (`0.5DOGE`, `0.0000114300BNB`) as (value, canonical text, asset); (None, "", "") if empty."""
    for asset in assets:
        if cell.endswith(asset):
            fast = plain_number(cell[: -len(asset)])
            if fast is not None and fast[1][0] != "-":
                return fast[0], fast[1], asset
            break
    value, asset = _fee(cell, what="Fee", assets=assets)
    return value, decimal_text(value) if value is not None else "", asset


class _Pairs:
    """Pair, side and fee-asset lookups memoised per file: a file holds few pairs and thousands of rows."""

    def __init__(self):
        self._pairs: dict[tuple[str, str], tuple[str, str, str, tuple[str, ...]]] = {}
        self._sides: dict[str, str] = {}

    def pair(self, cell: str, quote_hint: str = "") -> tuple[str, str, str, tuple[str, ...]]:
        """(base, quote, symbol, the assets a fee may be in, longest first)."""
        key = (cell, quote_hint)
        known = self._pairs.get(key)
        if known is None:
            base, quote = split_pair(cell, quote_hint=quote_hint)
            known = self._pairs[key] = (base, quote, symbol_of(base, quote), _longest_first(base, quote, "BNB"))
        return known

    def side(self, cell: str, what: str = "Side") -> str:
        side = self._sides.get(cell)
        if side is None:
            side = self._sides[cell] = parse_side(cell, what=what)
        return side


# --- Spot Trade History (current) --------------------------------------------------------------------


_SPOT_REQUIRED = ("date", "pair", "side", "price", "executed", "amount")
_DIGITS = "0123456789.,"


def parse_spot_trade_history(table: Table) -> ParseResult:
    result = ResultBuilder(format="binance_spot_trade_history", broker=BROKER)
    column = columns_of(table.keys, SPOT_TRADE_HISTORY, SPOT_TRADE_FIELDS, _SPOT_REQUIRED)
    if column is None:
        raise ParseError("unknown_format")
    date, pair, side_at, price_at, executed, amount_at = (column[name] for name in _SPOT_REQUIRED)
    fee_at = column_index(column["fee"])
    identity_state = RowIdentity("bnc")
    identity = identity_state.ext_id
    pairs = _Pairs()

    def spot_trade(cells: list[str]) -> TradeDTO:
        ts, iso = read_time(cells[date], what="Date(UTC)")
        amount_cell = cells[amount_at]
        amount_asset = ""
        if amount_cell.strip():
            # Only the amount's asset is used (it tells the quote asset); the number just has to be one.
            suffix = amount_cell.lstrip(_DIGITS)
            if suffix.isalpha() and plain_number(amount_cell[: -len(suffix)].replace(",", "")) is not None:
                amount_asset = suffix
            else:
                amount_asset = read_glued(amount_cell, what="Amount", asset=suffix if suffix.isalpha() else "")[2]
        base, quote, symbol, fee_assets = pairs.pair(cells[pair], amount_asset)
        side = pairs.side(cells[side_at])
        qty, qty_text, qty_asset = read_glued(cells[executed], what="Executed", asset=base)
        if qty_asset and qty_asset != base:
            raise RowProblem(f"Executed is in {qty_asset}, not in {base}")
        price, price_text, price_asset = read_glued(cells[price_at], what="Price", asset=quote)
        if price_asset and price_asset != quote:
            raise RowProblem(f"Price is in {price_asset}, not in {quote}")
        if amount_asset and amount_asset != quote:
            raise RowProblem(f"Amount is in {amount_asset}, not in {quote}")
        fee_cell = cells[fee_at]
        fee, fee_text, fee_asset = _read_fee(fee_cell, fee_assets) if fee_cell.strip() else (None, "", "")
        if qty <= 0:
            positive(qty, what="Executed")
        if price <= 0:
            positive(price, what="Price")
        ext_id = identity(iso, symbol, side, price_text, qty_text, fee_text, fee_asset)
        return new_trade(ext_id, symbol, side, qty, price, ts, fee, fee_asset, quote)

    def spot_block(column: columns.Column) -> list[TradeDTO] | None:
        read = columns.times(column(date))
        amounts = column(amount_at)
        amount_assets = columns.suffixes(amounts, _DIGITS)
        plain_amounts = columns.without_suffixes(amounts, amount_assets)
        if read is None or plain_amounts is None or not columns.are_numbers(plain_amounts, without=","):
            return None
        pair_cells = column(pair)
        count = len(pair_cells)
        try:
            if pair_cells.count(pair_cells[0]) == count and amount_assets.count(amount_assets[0]) == count:
                info = [pairs.pair(pair_cells[0], amount_assets[0])] * count  # one pair in the block (nearly always)
            else:
                info = columns.lookup(list(zip(pair_cells, amount_assets, strict=True)), block_pairs, _pair_of)
            sides = columns.lookup(column(side_at), block_sides, pairs.side)
        except RowProblem:
            return None
        bases = columns.field(info, 0)
        quotes = columns.field(info, 1)
        if quotes != amount_assets:
            return None
        qty_cells = columns.without_suffixes(column(executed), bases)
        price_cells = column(price_at)
        fee_cells = column(fee_at)
        fee_assets = columns.suffixes(fee_cells)
        fee_numbers = columns.without_suffixes(fee_cells, fee_assets)
        if qty_cells is None or fee_numbers is None:
            return None
        if info.count(info[0]) == count and fee_assets.count(fee_assets[0]) == count:
            if fee_assets[0] not in info[0][3]:
                return None
        elif not all(map(tuple.__contains__, columns.field(info, 3), fee_assets)):
            return None
        qtys, prices, fees = columns.numbers(qty_cells), columns.numbers(price_cells), columns.numbers(fee_numbers)
        if qtys is None or prices is None or fees is None or not (all(qtys[0]) and all(prices[0])):
            return None
        symbols = columns.field(info, 2)
        moments, isos = read
        keys = list(map("|".join, zip(isos, symbols, sides, prices[1], qtys[1], fees[1], fee_assets, strict=True)))
        return columns.trades(columns.hashed_ids(identity_state, keys), symbols, sides, qtys[0], prices[0], moments,
                              fees[0], fee_assets, quotes)

    block_pairs: dict[tuple[str, str], tuple[str, str, str, tuple[str, ...]]] = {}
    block_sides: dict[str, str] = {}

    def _pair_of(cell_and_asset: tuple[str, str]) -> tuple[str, str, str, tuple[str, ...]]:
        return pairs.pair(*cell_and_asset)

    return columns.collect(result, table, spot_block, spot_trade)


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
    market, kind, price_at, amount, fee_at, fee_coin_at = (
        column_index(_column(keys, {name})) for name in ("market", "type", "price", "amount", "fee", "feecoin"))
    date = column_index(_column(keys, _ALIASES["date"]))
    identity_state = RowIdentity("bnc")
    identity = identity_state.ext_id
    pairs = _Pairs()
    coins: dict[str, str] = {}

    def old_trade(cells: list[str]) -> TradeDTO:
        ts, iso = read_time(cells[date], what="Date(UTC)")
        fee_coin = cells[fee_coin_at]
        fee_asset = coins.get(fee_coin)
        if fee_asset is None:
            fee_asset = clean_asset(fee_coin, what="Fee Coin") if fee_coin.strip() else ""
            coins[fee_coin] = fee_asset
        base, quote, symbol, _ = pairs.pair(cells[market])
        side = pairs.side(cells[kind], what="Type")
        price, price_text = read_decimal(cells[price_at], what="Price")
        if price <= 0:
            positive(price, what="Price")
        qty, qty_text = read_decimal(cells[amount], what="Amount")
        if qty <= 0:
            positive(qty, what="Amount")
        fee_cell = cells[fee_at]
        fee = None
        fee_text = ""
        if fee_cell.strip():
            fee, fee_text = read_decimal(fee_cell, what="Fee")
            if fee < 0:
                fee, fee_text = fee.copy_negate(), fee_text[1:]
        else:
            fee_asset = ""
        ext_id = identity(iso, symbol, side, price_text, qty_text, fee_text, fee_asset)
        return new_trade(ext_id, symbol, side, qty, price, ts, fee, fee_asset, quote)

    def old_block(column: columns.Column) -> list[TradeDTO] | None:
        read = columns.times(column(date))
        prices = columns.numbers(column(price_at))
        qtys = columns.numbers(column(amount))
        fees = columns.numbers(column(fee_at))
        if read is None or prices is None or qtys is None or fees is None or not (all(prices[0]) and all(qtys[0])):
            return None
        try:
            info = columns.lookup(column(market), block_pairs, pairs.pair)
            sides = columns.lookup(column(kind), block_sides, read_type)
            fee_assets = columns.lookup(column(fee_coin_at), block_coins, read_fee_coin)
        except RowProblem:
            return None
        symbols = columns.field(info, 2)
        moments, isos = read
        keys = list(map("|".join, zip(isos, symbols, sides, prices[1], qtys[1], fees[1], fee_assets, strict=True)))
        return columns.trades(columns.hashed_ids(identity_state, keys), symbols, sides, qtys[0], prices[0], moments,
                              fees[0], fee_assets, columns.field(info, 1))

    block_pairs: dict[str, tuple] = {}
    block_sides: dict[str, str] = {}
    block_coins: dict[str, str] = {}

    def read_type(cell: str) -> str:
        return pairs.side(cell, "Type")

    def read_fee_coin(cell: str) -> str:
        return clean_asset(cell, what="Fee Coin")

    return columns.collect(result, table, old_block, old_trade)


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
    found = columns_of(table.keys, ORDER_HISTORY, ORDER_FIELDS, _ORDER_REQUIRED)
    if found is None:
        raise ParseError("unknown_format")
    at = {name: column_index(index) for name, index in found.items()}
    pairs = _Pairs()

    def order_block(column: columns.Column) -> tuple[list[bool], list[TradeDTO], list[str]] | None:
        """Per row whether it is a trade, the trades, and the status each other row is skipped under (see
        _order); None to read the block row by row."""
        totals = column(at["total"])
        total_assets = columns.suffixes(totals, _DIGITS)
        plain_totals = columns.without_suffixes(totals, total_assets)
        read = columns.times(column(at["time"]), texts=False)
        prices = columns.numbers(column(at["averageprice"]))
        order_numbers = column(at["orderno"])
        if (read is None or prices is None or plain_totals is None
                or not columns.are_numbers(plain_totals, without=",")
                or not columns.plain_ids(order_numbers, 64)):
            return None
        try:
            info = columns.lookup(list(zip(column(at["pair"]), total_assets, strict=True)),
                                  block_pairs, _pair_of)
            sides = columns.lookup(column(at["side"]), block_sides, pairs.side)
        except RowProblem:
            return None
        executed = columns.without_suffixes(column(at["executed"]), columns.field(info, 0))
        qtys = columns.numbers(executed) if executed is not None else None
        if qtys is None:
            return None
        count = len(order_numbers)
        is_trade = list(map(bool, qtys[0]))
        others: list[str] = []
        if all(is_trade):  # every order executed: all trades
            moments, order_prices, order_qtys = read[0], prices[0], qtys[0]
        else:  # the orders executed are trades, the others are skipped by status
            not_executed = list(map(operator.not_, is_trade))
            others = columns.lookup(list(compress(column(at["status"]), not_executed)), block_statuses,
                                    _not_executed)
            info, sides, order_numbers, moments, order_prices, order_qtys = (
                list(compress(values, is_trade)) for values in (info, sides, order_numbers, read[0], prices[0],
                                                                qtys[0]))
            count = len(order_numbers)
        if not all(order_prices):
            return None
        symbols = columns.field(info, 2)
        ids = list(map("".join, zip(repeat("bnc-order-", count), symbols, repeat(":", count), order_numbers,
                                    strict=True)))
        return is_trade, columns.trades(ids, symbols, sides, order_qtys, order_prices, moments, [None] * count,
                                        [""] * count, columns.field(info, 1)), others

    block_pairs: dict[tuple[str, str], tuple[str, str, str, tuple[str, ...]]] = {}
    block_sides: dict[str, str] = {}
    block_statuses: dict[str, str] = {}

    def _pair_of(cell_and_asset: tuple[str, str]) -> tuple[str, str, str, tuple[str, ...]]:
        return pairs.pair(*cell_and_asset)

    for lines, column, rows, problems in columns.blocks(table):
        for line, problem in problems:
            result.error(line, problem)
        read_block = order_block(column) if lines else ([], [], [])
        if read_block is not None:
            result.add_picked(lines, *read_block)
            continue
        for line, cells in zip(lines, rows(), strict=True):
            result.take(line, cells, lambda cells: _order(cells, at))
    result.total_rows += table.row_count
    return result.build()


def _not_executed(status_cell: str) -> str:
    """The kind an order that executed nothing is skipped under."""
    status = " ".join(status_cell.split())
    return f"{status.title() or 'No status'} (not executed)"


def _order(cells: list[str], at: dict[str, int]) -> TradeDTO | str:
    """The order's trade, or the status it is skipped under when nothing of it was executed."""
    status_cell = cells[at["status"]]
    total_cell = cells[at["total"]]
    total_asset = parse_glued(total_cell, what="Trading total")[1] if total_cell.strip() else ""
    base, quote = split_pair(cells[at["pair"]], quote_hint=total_asset)
    executed_cell = cells[at["executed"]]
    qty, qty_asset = parse_glued(executed_cell, what="Executed", assets=(base,)) if executed_cell.strip() else (0, "")
    if qty_asset not in ("", base):
        raise RowProblem(f"Executed is in {qty_asset}, not in {base}")
    if qty == 0:
        return _not_executed(status_cell)
    side = parse_side(cells[at["side"]])
    price, price_asset = parse_glued(cells[at["averageprice"]], what="Average Price", assets=(quote,))
    if price_asset not in ("", quote):
        raise RowProblem(f"Average Price is in {price_asset}, not in {quote}")
    time_cell = cells[at["time"]]
    ts = parse_timestamp(time_cell if time_cell.strip() else cells[at["date"]], what="Date(UTC)")
    symbol = symbol_of(base, quote)
    order_no = cells[at["orderno"]].strip()
    if not order_no or len(order_no) > 64:
        raise RowProblem("OrderNo is empty" if not order_no else "OrderNo is longer than 64 characters")
    return new_trade(f"bnc-order-{symbol}:{order_no}", symbol, side, positive(qty, what="Executed"),
                     positive(price, what="Average Price"), ts, None, "", quote)


ORDER_HISTORY_SPEC = FormatSpec(
    name="binance_order_history",
    broker=BROKER,
    required=required_groups(ORDER_HISTORY, ORDER_FIELDS, _ORDER_REQUIRED),
    parse=parse_order_history,
)

SPECS = (ORDER_HISTORY_SPEC, SPOT_TRADE_HISTORY_SPEC, OLD_TRADE_HISTORY, OLD_ORDER_HISTORY)

