"""Spot trade exports of Bybit, KuCoin and OKX: one fill or one order per row (OKX: two rows per fill, one per
asset), each with the exchange's own id.

    Bybit  Orders → Spot Orders → Trade History:  Spot Pairs,Order Type,Direction,Filled Value,Filled Price,
           Filled Quantity,Fees,Transaction ID,Order No.,Timestamp (UTC)   (times like `14:35 2024-11-16`;
           the fee is in the asset received: the base on a buy, the quote on a sell)
    KuCoin Spot Orders → Filled Orders:  UID,Account Type,Order ID,Order Time(UTC),Symbol,Side,Order Type,
           Order Price,Order Amount,Avg. Filled Price,Filled Amount,Filled Volume,Filled Volume (USDT),
           Filled Time(UTC),Fee,Fee Currency,Tax,Status   (the zone may be `UTC+08:00`; it is in the header)
    OKX    Trading History:  a `UID:…,Account Type:…,Time Zone:UTC+8` line, then id,Order id,Time,Trade Type,
           Symbol,Action,Amount,Trading Unit,Filled Price,PnL,Fee,Fee Unit,Position Change,Position Balance,
           Balance Change,Balance,Balance Unit   (a spot fill is a row for the base asset, whose Action is the
           side, and one for the quote asset; the fee is on either; seen in a real export: two fills of one
           order in the same second, and the quote row's Trading Unit naming the base asset)
"""
from __future__ import annotations

import operator
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import partial
from itertools import compress, repeat

from apps.brokers.types import TradeDTO

from . import columns
from .base import FormatSpec, ParseResult, ResultBuilder, RowProblem, new_trade
from .table import Table, column_index, leading_lines
from .values import (
    clean_asset,
    parse_side,
    parse_timestamp,
    positive,
    read_decimal,
    read_time,
    split_pair,
    symbol_of,
)

_MAX_ID = 128


def _columns(table: Table, names: tuple[str, ...]) -> list[int]:
    keys = table.keys
    return [column_index(keys.index(name) if name in keys else None) for name in names]


def _exchange_id(cell: str, what: str) -> str:
    text = cell.strip()
    if not text or len(text) > _MAX_ID - 8:
        raise RowProblem(f"{what} is empty" if not text else f"{what} is too long")
    return text


class _Pairs:
    def __init__(self):
        self._known: dict[str, tuple[str, str, str]] = {}

    def __call__(self, cell: str) -> tuple[str, str, str]:
        known = self._known.get(cell)
        if known is None:
            base, quote = split_pair(cell)
            known = self._known[cell] = (base, quote, symbol_of(base, quote))
        return known


def _positive_amount(cell: str, what: str):
    value = read_decimal(cell, what=what)[0]
    if value <= 0:
        positive(value, what=what)
    return value


# --- Bybit ------------------------------------------------------------------------------------------------

_BYBIT = ("spotpairs", "direction", "filledprice", "filledquantity", "fees", "transactionid", "timestamp(utc)")
_CLOCK_FIRST = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(\d{4}-\d{2}-\d{2})")
_CLOCK_FIRST_COLUMN = re.compile(r"(?:\d{1,2}:\d{2} \d{4}-\d{2}-\d{2}\n)*\d{1,2}:\d{2} \d{4}-\d{2}-\d{2}")


def _bybit_time(cell: str) -> datetime:
    match = _CLOCK_FIRST.fullmatch(cell.strip())
    if match is None:
        return read_time(cell, what="Timestamp (UTC)")[0]
    hour, minute, second, day = match.groups()
    return parse_timestamp(f"{day} {int(hour):02d}:{minute}:{second or '00'}", what="Timestamp (UTC)")


_DAY = operator.itemgetter(slice(-10, None))
_CLOCK = operator.itemgetter(slice(None, -11))


def _clock_first_times(cells: list[str]) -> tuple[list[datetime], list[str]] | None:
    """columns.times of the cells rewritten `14:35 2024-11-16` → `2024-11-16 14:35:00` (the same moments, the same
    refusals: a year outside 2009–2100, a day or hour that does not exist), each cell read as
    `2024-11-16 14:35+00:00` in a pass per piece over the whole column; None unless every cell has that shape."""
    if not cells or not _CLOCK_FIRST_COLUMN.fullmatch("\n".join(cells)):
        return None
    days = list(map(_DAY, cells))
    if min(days) < "2009" or max(days) >= "2101":
        return None
    count = len(cells)
    clocks = map(str.__add__, map(str.zfill, map(_CLOCK, cells), repeat(5, count)), repeat("+00:00", count))
    try:
        return list(map(datetime.fromisoformat, map(str.__add__, map(str.__add__, days, repeat(" ", count)),
                                                     clocks))), []
    except ValueError:  # a day or hour that does not exist
        return None


def parse_bybit(table: Table) -> ParseResult:
    result = ResultBuilder(format="bybit_spot_trades", broker="bybit")
    pair_at, side_at, price_at, qty_at, fee_at, id_at, time_at = _columns(table, _BYBIT)
    pairs = _Pairs()

    def bybit_fill(cells: list[str]) -> TradeDTO:
        ext_id = "bybit:" + _exchange_id(cells[id_at], "Transaction ID")
        ts = _bybit_time(cells[time_at])
        base, quote, symbol = pairs(cells[pair_at])
        side = parse_side(cells[side_at], what="Direction")
        qty = _positive_amount(cells[qty_at], "Filled Quantity")
        price = _positive_amount(cells[price_at], "Filled Price")
        fee = read_decimal(cells[fee_at], what="Fees")[0].copy_abs() if cells[fee_at].strip() else None
        fee_asset = (base if side == "BUY" else quote) if fee is not None else ""
        return new_trade(ext_id, symbol, side, qty, price, ts, fee, fee_asset, quote)

    sides: dict[str, str] = {}

    def bybit_block(column: columns.Column) -> list[TradeDTO] | None:
        read = _clock_first_times(column(time_at))
        qtys = columns.numbers(column(qty_at))
        prices = columns.numbers(column(price_at))
        fees = columns.numbers(column(fee_at))
        ids = column(id_at)
        if (read is None or qtys is None or prices is None or fees is None or not (all(qtys[0]) and all(prices[0]))
                or not columns.plain_ids(ids, _MAX_ID - 8)):
            return None
        try:
            info = columns.lookup(column(pair_at), block_pairs, pairs)
            sides_read = columns.lookup(column(side_at), sides, _side)
        except RowProblem:
            return None
        fee_assets = [known[0] if side == "BUY" else known[1] for known, side in zip(info, sides_read, strict=True)]
        return columns.trades(list(map("bybit:".__add__, ids)), columns.field(info, 2), sides_read, qtys[0],
                              prices[0], read[0], fees[0], fee_assets, columns.field(info, 1))

    block_pairs: dict[str, tuple[str, str, str]] = {}

    def _side(cell: str) -> str:
        return parse_side(cell, what="Direction")

    return columns.collect(result, table, bybit_block, bybit_fill)


BYBIT = FormatSpec(name="bybit_spot_trades", broker="bybit", required=tuple(frozenset({key}) for key in _BYBIT),
                   parse=parse_bybit)

# --- KuCoin -----------------------------------------------------------------------------------------------

_KUCOIN = ("orderid", "symbol", "side", "avg.filledprice", "filledamount", "fee", "feecurrency", "status")
_ZONED_HEADER = re.compile(r"filledtime\(utc(?:([+-])(\d{1,2}):?(\d{2})?)?\)")


def _zone(sign: str | None, hours: str | None, minutes: str | None) -> timezone:
    if not sign:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-offset if sign == "-" else offset)


def parse_kucoin(table: Table) -> ParseResult:
    result = ResultBuilder(format="kucoin_spot_trades", broker="kucoin")
    order_at, symbol_at, side_at, price_at, qty_at, fee_at, fee_asset_at, status_at = _columns(table, _KUCOIN)
    time_at, zone = -1, UTC
    for index, key in enumerate(table.keys):
        match = _ZONED_HEADER.fullmatch(key)
        if match:
            time_at, zone = index, _zone(*match.groups())
    pairs = _Pairs()
    assets: dict[str, str] = {}

    def kucoin_order(cells: list[str]) -> TradeDTO | str:
        """The order's trade, or the status it is skipped under when it filled nothing (cancelled)."""
        qty = read_decimal(cells[qty_at], what="Filled Amount")[0] if cells[qty_at].strip() else 0
        if qty == 0:
            return f"{cells[status_at].strip().title() or 'No status'} (nothing filled)"
        if qty < 0:
            positive(qty, what="Filled Amount")
        ext_id = "kucoin:" + _exchange_id(cells[order_at], "Order ID")
        local = parse_timestamp(cells[time_at], what="Filled Time")  # the wall clock, read as UTC
        ts = local.replace(tzinfo=zone).astimezone(UTC)
        base, quote, symbol = pairs(cells[symbol_at])
        side = parse_side(cells[side_at], what="Side")
        price = _positive_amount(cells[price_at], "Avg. Filled Price")
        fee, fee_asset = None, ""
        if cells[fee_at].strip():
            fee = read_decimal(cells[fee_at], what="Fee")[0].copy_abs()
            written = cells[fee_asset_at]
            fee_asset = assets.get(written)
            if fee_asset is None:
                fee_asset = assets[written] = clean_asset(written, what="Fee Currency") if written.strip() else quote
        return new_trade(ext_id, symbol, side, qty, price, ts, fee, fee_asset, quote)

    def kucoin_block(column: columns.Column) -> list[TradeDTO] | None:
        read = columns.times(column(time_at), texts=False)
        qtys = columns.numbers(column(qty_at))
        prices = columns.numbers(column(price_at))
        fees = columns.numbers(column(fee_at))
        ids = column(order_at)
        if (read is None or qtys is None or prices is None or fees is None or not (all(qtys[0]) and all(prices[0]))
                or not columns.plain_ids(ids, _MAX_ID - 8)):
            return None  # includes orders that filled nothing: skipped by status, row by row
        try:
            info = columns.lookup(column(symbol_at), block_pairs, pairs)
            sides_read = columns.lookup(column(side_at), block_sides, _side)
            fee_assets = columns.lookup(column(fee_asset_at), block_assets, _fee_currency)
        except RowProblem:
            return None
        moments = columns.in_utc(read[0], zone)
        return columns.trades(list(map("kucoin:".__add__, ids)), columns.field(info, 2), sides_read, qtys[0],
                              prices[0], moments, fees[0], fee_assets, columns.field(info, 1))

    block_pairs: dict[str, tuple[str, str, str]] = {}
    block_sides: dict[str, str] = {}
    block_assets: dict[str, str] = {}

    def _side(cell: str) -> str:
        return parse_side(cell, what="Side")

    def _fee_currency(cell: str) -> str:
        return clean_asset(cell, what="Fee Currency")

    return columns.collect(result, table, kucoin_block, kucoin_order)


KUCOIN = FormatSpec(name="kucoin_spot_trades", broker="kucoin",
                    required=tuple(frozenset({key}) for key in _KUCOIN + ("filledvolume", "uid")), parse=parse_kucoin)

# --- OKX --------------------------------------------------------------------------------------------------

_OKX = ("id", "orderid", "time", "tradetype", "symbol", "action", "amount", "filledprice", "fee", "feeunit",
        "balanceunit")
_OKX_ZONE = re.compile(r"Time Zone:\s*UTC(?:([+-])(\d{1,2})(?::?(\d{2}))?)?", re.IGNORECASE)


def parse_okx(table: Table) -> ParseResult:
    result = ResultBuilder(format="okx_trading_history", broker="okx")
    id_at, order_at, time_at, type_at, symbol_at, action_at, amount_at, price_at, fee_at, fee_unit_at, unit_at = (
        _columns(table, _OKX))
    # The lines before the header, split from the text up to the header's end only (those lines are whole there).
    preamble = "\n".join("".join(leading_lines(table.text, table.header_line)).splitlines()[: table.header_line - 1])
    match = _OKX_ZONE.search(preamble)
    zone = _zone(*match.groups()) if match else UTC
    pairs = _Pairs()
    at = (id_at, time_at, symbol_at, action_at, amount_at, price_at, fee_at, fee_unit_at, unit_at)
    if _okx_by_columns(table, result, pairs, zone, at, type_at, order_at):
        result.total_rows = table.row_count
        return result.build()
    fills: dict[tuple[str, str, str], list[tuple[int, list[str]]]] = defaultdict(list)
    for line, cells, problem in table.rows():
        if problem:
            result.error(line, problem)
            continue
        kind = cells[type_at].strip()
        if kind.lower() != "spot":
            result.skip(kind[:64] or "(empty type)")
            continue
        fills[(cells[order_at].strip(), cells[time_at].strip(), cells[symbol_at].strip())].append((line, cells))
    for rows in fills.values():
        try:
            legs = _okx_legs(rows, pairs, at)
            made = [(_okx_fill(fill, pairs, zone, at), fill[0][0]) for fill in legs]
        except RowProblem as problem:
            for line, _ in rows:
                result.error(line, problem.reason)
            continue
        for trade, line in made:
            result.add(trade, line)
    result.total_rows = table.row_count
    return result.build()


def _okx_by_columns(table: Table, result: ResultBuilder, pairs: _Pairs, zone: timezone, at: tuple[int, ...],
                    type_at: int, order_at: int) -> bool:
    """The whole file read column by column when it has the usual shape: every readable row, each spot fill two
    adjacent rows of one order, time and symbol (its base row and its quote row, the fee on at most one of them).
    Adds the trades and skips and returns True; returns False, having added nothing, for any other file, which
    parse_okx then reads row by row (same result either way)."""
    id_at, time_at, symbol_at, action_at, amount_at, price_at, fee_at, fee_unit_at, unit_at = at
    whole = columns.split(table)
    if whole is None:
        readable = table.all_readable()
        if readable is None:
            return False
        lines, rows = readable
        column: columns.Column = partial(columns.row_cells, rows)
    else:
        lines, column = whole[0], whole[1].__getitem__
    kinds = column(type_at)
    if not lines or list(map(str.strip, kinds)) != kinds:
        return False
    is_spot = list(map(_SPOT.__eq__, map(str.lower, kinds)))
    spot_lines = list(lines) if all(is_spot) else list(compress(lines, is_spot))
    if not spot_lines or len(spot_lines) % 2:
        return False

    def legs(index: int) -> tuple[list[str], list[str]]:
        """A column's cells in the first and in the second row of each fill."""
        cells = column(index)
        if len(spot_lines) < len(cells):
            cells = list(compress(cells, is_spot))
        return cells[0::2], cells[1::2]

    key_columns = [legs(index) for index in (order_at, time_at, symbol_at)]
    if (any(first != second for first, second in key_columns)
            or any(list(map(str.strip, first)) != first for first, _ in key_columns)
            or len(set(zip(*(first for first, _ in key_columns), strict=True))) * 2 != len(spot_lines)):
        return False
    try:
        info = columns.lookup(key_columns[2][0], {}, pairs)
        units = {}
        first_units, second_units = (columns.lookup(cells, units, _unit) for cells in legs(unit_at))
    except RowProblem:
        return False
    bases = columns.field(info, 0)
    first_is_base = list(map(operator.eq, first_units, bases))
    if list(map(operator.eq, second_units, bases)) != list(map(operator.not_, first_is_base)):
        return False  # not one base row and one other row per fill
    every_first = all(first_is_base)

    def base_cells(pair: tuple[list, list]) -> list:
        """Of a column's (first, second) cells, those of each fill's base row."""
        if every_first:
            return pair[0]
        return [a if is_base else b for a, b, is_base in zip(*pair, first_is_base, strict=True)]

    base_lines = base_cells((spot_lines[0::2], spot_lines[1::2]))
    ids = base_cells(legs(id_at))
    read = columns.times(base_cells(legs(time_at)), texts=False)
    amounts = columns.numbers(base_cells(legs(amount_at)), signed=True)
    prices = columns.numbers(base_cells(legs(price_at)))
    first_fee_cells, second_fee_cells = legs(fee_at)
    first_fees = columns.numbers(first_fee_cells, signed=True)
    second_fees = columns.numbers(second_fee_cells, signed=True)
    if (read is None or amounts is None or prices is None or first_fees is None or second_fees is None
            or not columns.plain_ids(ids, _MAX_ID - 8) or not all(amounts[0]) or not all(prices[0])):
        return False
    first_fee_values = list(map(Decimal.copy_abs, first_fees[0]))
    second_fee_values = list(map(Decimal.copy_abs, second_fees[0]))
    if any(map(operator.and_, map(bool, first_fee_values), map(bool, second_fee_values))):
        return False  # fees on both rows of a fill
    try:
        sides = columns.lookup(base_cells(legs(action_at)), {}, _okx_side)
        first_units, second_units = legs(fee_unit_at)
        fee_unit_cells = [a if fa else b if fb else None for a, b, fa, fb in
                          zip(first_units, second_units, first_fee_values, second_fee_values, strict=True)]
        fee_assets = columns.lookup(fee_unit_cells, {None: ""}, _fee_asset)  # None: no fee on the fill
    except RowProblem:
        return False
    fees = [0 + (fa or fb) if fa or fb else None for fa, fb in zip(first_fee_values, second_fee_values, strict=True)]
    moments = columns.in_utc(read[0], zone)
    result.trades += columns.trades(list(map("okx:".__add__, ids)), columns.field(info, 2), sides,
                                    list(map(Decimal.copy_abs, amounts[0])), prices[0], moments, fees, fee_assets,
                                    columns.field(info, 1))
    result.lines += base_lines
    result.raws += [None] * len(base_lines)
    if len(spot_lines) < len(lines):
        result.skipped.update(kind[:64] or "(empty type)" for kind, spot_row in zip(kinds, is_spot, strict=True)
                              if not spot_row)
    return True


_SPOT = "spot"


def _unit(cell: str) -> str:
    return cell.strip().upper()


def _okx_side(cell: str) -> str:
    return parse_side(cell, what="Action")


def _fee_asset(cell: str) -> str:
    return clean_asset(cell, what="Fee Unit")


def _fee_unit(cell: str, known: dict[str, str]) -> str:
    unit = known.get(cell)
    if unit is None:
        unit = known[cell] = clean_asset(cell, what="Fee Unit")
    return unit


def _row_order(row: tuple[int, list[str]], id_at: int) -> tuple[int, str]:
    text = row[1][id_at].strip()
    return (int(text), "") if text.isdecimal() else (0, text)  # not isdigit: `²` is a digit that int() refuses


def _okx_legs(rows: list[tuple[int, list[str]]], pairs: _Pairs,
              at: tuple[int, ...]) -> list[list[tuple[int, list[str]]]]:
    """The rows of one order at one time, split into fills: each fill is a row in the base asset and, when there
    is one, its row in the quote asset. Several fills of one order in the same second (seen in real exports)
    pair the k-th base row with the k-th quote row, by id."""
    id_at, symbol_at, unit_at = at[0], at[2], at[8]
    base = pairs(rows[0][1][symbol_at])[0]
    base_rows = [row for row in rows if row[1][unit_at].strip().upper() == base]
    other_rows = [row for row in rows if row[1][unit_at].strip().upper() != base]
    if not base_rows:
        raise RowProblem(f"no {base} row for this fill")
    if len(base_rows) == 1:
        return [base_rows[0:1] + other_rows]
    if len(other_rows) not in (0, len(base_rows)):
        raise RowProblem(f"{len(base_rows)} {base} rows but {len(other_rows)} rows in the other asset for one order "
                         "at one time")
    base_rows.sort(key=lambda row: _row_order(row, id_at))
    other_rows.sort(key=lambda row: _row_order(row, id_at))
    return [[row, *other_rows[index:index + 1]] for index, row in enumerate(base_rows)]


def _okx_fill(rows: list[tuple[int, list[str]]], pairs: _Pairs, zone: timezone,
              at: tuple[int, ...]) -> TradeDTO:
    """One fill: its base row first, then its quote row if any."""
    id_at, time_at, symbol_at, action_at, amount_at, price_at, fee_at, fee_unit_at, unit_at = at
    cells = rows[0][1]
    base, quote, symbol = pairs(cells[symbol_at])
    ext_id = "okx:" + _exchange_id(cells[id_at], "id")
    ts = parse_timestamp(cells[time_at], what="Time").replace(tzinfo=zone).astimezone(UTC)
    side = parse_side(cells[action_at], what="Action")
    qty = read_decimal(cells[amount_at], what="Amount")[0].copy_abs()
    if qty == 0:
        positive(qty, what="Amount")
    price = _positive_amount(cells[price_at], "Filled Price")
    fees: dict[str, object] = {}
    for _, leg in rows:
        if leg[fee_at].strip():
            value = read_decimal(leg[fee_at], what="Fee")[0].copy_abs()
            if value:
                unit = clean_asset(leg[fee_unit_at], what="Fee Unit")
                fees[unit] = fees.get(unit, 0) + value
    if len(fees) > 1:
        raise RowProblem("fees in two assets for one fill")
    fee_asset, fee = next(iter(fees.items())) if fees else ("", None)
    return new_trade(ext_id, symbol, side, qty, price, ts, fee, fee_asset, quote)


OKX = FormatSpec(name="okx_trading_history", broker="okx", required=tuple(frozenset({key}) for key in _OKX),
                 parse=parse_okx)

SPECS = (BYBIT, KUCOIN, OKX)
