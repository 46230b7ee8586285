"""Kraken exports (History → Export): trades.csv, one row per fill, and ledgers.csv, one row per balance change,
where a trade is the two rows sharing a refid (type `trade`, or `spend` + `receive` for an instant buy). A ledger
trade's refid is the trade's txid, so a fill imported from both files is one trade.

Kraken names assets its own way: XXBT and XBT are BTC, XXDG and XDG are DOGE, four-letter codes starting with
X or Z are the legacy names of crypto and fiat (XETH, ZEUR), `.S`/`.M`/`.F` mark staked or earning balances."""
from __future__ import annotations

import operator
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import compress, repeat

from apps.brokers.types import TradeDTO

from . import columns
from .base import FormatSpec, ParseResult, ResultBuilder, RowProblem, new_trade
from .plain_columns import ColumnOf, plain_columns
from .table import Table, column_index
from .values import (
    clean_asset,
    decimal_text,
    divide,
    parse_side,
    positive,
    quote_of,
    read_decimal,
    read_time,
    symbol_of,
)

BROKER = "kraken"
_MAX_ID = 128

_LEGACY = {
    "XXBT": "BTC", "XBT": "BTC", "XXDG": "DOGE", "XDG": "DOGE", "XETH": "ETH", "XETC": "ETC", "XLTC": "LTC",
    "XXRP": "XRP", "XXLM": "XLM", "XXMR": "XMR", "XZEC": "ZEC", "XREP": "REP", "XMLN": "MLN", "XICN": "ICN",
    "ZEUR": "EUR", "ZUSD": "USD", "ZGBP": "GBP", "ZCAD": "CAD", "ZJPY": "JPY", "ZAUD": "AUD", "ZCHF": "CHF",
}
# The quote of a concatenated pair (XXBTZEUR, ADAEUR, ETHXBT), longest first.
_QUOTES = ("ZEUR", "ZUSD", "ZGBP", "ZCAD", "ZJPY", "ZAUD", "ZCHF", "XXBT", "XETH", "PYUSD", "USDC", "USDT", "EUR",
           "USD", "GBP", "CAD", "JPY", "AUD", "CHF", "AED", "XBT", "ETH", "DAI", "DOT")
_PAIR = re.compile(r"[A-Z0-9.]{2,24}")


def kraken_asset(code: str) -> str:
    """Kraken's name of an asset → the usual one (`XXBT` → `BTC`, `ETH2.S` → `ETH2`, `ZEUR` → `EUR`)."""
    text = code.strip().upper()
    for suffix in (".S", ".M", ".F", ".B", ".P"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    return _LEGACY.get(text, text)


def split_kraken_pair(cell: str) -> tuple[str, str]:
    text = cell.strip().upper()
    if "/" in text:
        base, _, quote = text.partition("/")
        return clean_asset(kraken_asset(base), what="pair"), clean_asset(kraken_asset(quote), what="pair")
    if _PAIR.fullmatch(text):
        for quote in _QUOTES:
            if text.endswith(quote) and len(text) > len(quote):
                return (clean_asset(kraken_asset(text[: -len(quote)]), what="pair"),
                        clean_asset(kraken_asset(quote), what="pair"))
    raise RowProblem(f"pair: cannot tell the base from the quote asset in {cell.strip()[:40]!r}")


# --- trades.csv -------------------------------------------------------------------------------------------

_TRADE_COLUMNS = ("txid", "pair", "time", "type", "price", "fee", "vol")


def parse_trades(table: Table) -> ParseResult:
    result = ResultBuilder(format="kraken_trades", broker=BROKER)
    keys = table.keys
    txid, pair_at, time_at, type_at, price_at, fee_at, vol_at = (
        column_index(keys.index(name) if name in keys else None) for name in _TRADE_COLUMNS)
    pairs: dict[str, tuple[str, str, str]] = {}

    def kraken_fill(cells: list[str]) -> TradeDTO:
        ext_id = cells[txid].strip()
        if not ext_id or len(ext_id) > _MAX_ID:
            raise RowProblem("txid is empty" if not ext_id else "txid is too long")
        ts = read_time(cells[time_at], what="time")[0]
        known = pairs.get(cells[pair_at])
        if known is None:
            base, quote = split_kraken_pair(cells[pair_at])
            known = pairs[cells[pair_at]] = (base, quote, symbol_of(base, quote))
        base, quote, symbol = known
        side = parse_side(cells[type_at], what="type")
        price = read_decimal(cells[price_at], what="price")[0]
        if price <= 0:
            positive(price, what="price")
        qty = read_decimal(cells[vol_at], what="vol")[0]
        if qty <= 0:
            positive(qty, what="vol")
        fee = None
        if cells[fee_at].strip():
            fee = read_decimal(cells[fee_at], what="fee")[0].copy_abs()
        # Kraken charges the fee of a trade in the quote currency.
        return new_trade(ext_id, symbol, side, qty, price, ts, fee, quote if fee is not None else "", quote)

    sides: dict[str, str] = {}

    def kraken_block(column: columns.Column) -> list[TradeDTO] | None:
        ids = column(txid)
        read = columns.times(column(time_at), texts=False)
        prices = columns.numbers(column(price_at))
        qtys = columns.numbers(column(vol_at))
        fees = columns.numbers(column(fee_at))
        if (read is None or prices is None or qtys is None or fees is None or not (all(prices[0]) and all(qtys[0]))
                or not columns.plain_ids(ids, _MAX_ID)):
            return None
        try:
            info = columns.lookup(column(pair_at), block_pairs, _pair)
            sides_read = columns.lookup(column(type_at), sides, _side)
        except RowProblem:
            return None
        quotes = columns.field(info, 1)
        return columns.trades(ids, columns.field(info, 2), sides_read, qtys[0], prices[0], read[0], fees[0],
                              quotes, quotes)

    block_pairs: dict[str, tuple[str, str, str]] = {}

    def _pair(cell: str) -> tuple[str, str, str]:
        base, quote = split_kraken_pair(cell)
        return base, quote, symbol_of(base, quote)

    def _side(cell: str) -> str:
        return parse_side(cell, what="type")

    return columns.collect(result, table, kraken_block, kraken_fill)


TRADES = FormatSpec(
    name="kraken_trades",
    broker=BROKER,
    required=tuple(frozenset({name}) for name in ("txid", "ordertxid", "pair", "time", "type", "price", "cost", "fee",
                                                  "vol")),
    parse=parse_trades,
)

# --- ledgers.csv ------------------------------------------------------------------------------------------

_TRADE_TYPES = {"trade", "spend", "receive"}


@dataclass(slots=True)
class _Entry:
    line: int
    ts: datetime
    asset: str
    amount: Decimal
    fee: Decimal


def parse_ledgers(table: Table) -> ParseResult:
    result = ResultBuilder(format="kraken_ledgers", broker=BROKER)
    keys = table.keys
    txid, refid, time_at, type_at, asset_at, amount_at, fee_at = (
        column_index(keys.index(name) if name in keys else None)
        for name in ("txid", "refid", "time", "type", "asset", "amount", "fee"))
    if _ledgers_by_columns(table, result, (txid, refid, time_at, type_at, asset_at, amount_at, fee_at)):
        result.total_rows = table.row_count
        return result.build()
    groups: dict[str, list[_Entry]] = defaultdict(list)
    for line, cells, problem in table.rows():
        if problem:
            result.error(line, problem)
            continue
        kind = cells[type_at].strip().lower()
        if kind not in _TRADE_TYPES:
            result.skip(cells[type_at].strip()[:64])
            continue
        if not cells[txid].strip():
            result.skip("failed (no txid)")
            continue
        reference = cells[refid].strip()
        try:
            if not reference or len(reference) > _MAX_ID:
                raise RowProblem("refid is empty" if not reference else "refid is too long")
            fee_cell = cells[fee_at]
            entry = _Entry(line=line, ts=read_time(cells[time_at], what="time")[0],
                           asset=clean_asset(kraken_asset(cells[asset_at]), what="asset"),
                           amount=read_decimal(cells[amount_at], what="amount")[0],
                           fee=read_decimal(fee_cell, what="fee")[0].copy_abs() if fee_cell.strip() else Decimal(0))
        except RowProblem as problem:
            result.error(line, problem.reason)
            continue
        groups[reference].append(entry)
    for reference, entries in groups.items():
        try:
            result.add(_ledger_trade(reference, entries), entries[0].line)
        except RowProblem as problem:
            for entry in entries:
                result.error(entry.line, f"refid {reference[:40]}: {problem.reason}")
    result.total_rows = table.row_count
    return result.build()


def _ledgers_by_columns(table: Table, result: ResultBuilder, at: tuple[int, ...]) -> bool:
    """The whole ledger read column by column when it has the usual shape: every row readable, each trade two
    adjacent rows of one refid, one received and one spent in two assets, a fee on at most one. Adds the trades and
    skips and returns True; returns False, having added nothing, for any other file, which parse_ledgers then reads
    row by row (same result either way)."""
    split = plain_columns(table)
    if split is not None:
        return _ledger_columns(result, split.lines, split.column, at)
    readable = table.all_readable()
    if readable is None:
        return False
    lines, rows = readable
    return _ledger_columns(result, lines, lambda index: [row[index] for row in rows], at)


def _ledger_columns(result: ResultBuilder, lines: Sequence[int], column: ColumnOf, at: tuple[int, ...]) -> bool:
    """_ledgers_by_columns for the rows whose cells `column(index)` gives."""
    txid, refid, time_at, type_at, asset_at, amount_at, fee_at = at
    type_cells = column(type_at)
    known_kinds = {cell: _ledger_kind(cell) for cell in set(type_cells)}
    every_row = all(map(operator.itemgetter(1), known_kinds.values())) and all(map(str.strip, column(txid)))
    if not every_row:
        kinds = list(map(known_kinds.__getitem__, type_cells))
        is_trade = list(map(operator.and_, map(operator.itemgetter(1), kinds),
                            map(bool, map(str.strip, column(txid)))))

    def legs(index: int) -> list[str]:
        return column(index) if every_row else list(compress(column(index), is_trade))

    leg_lines = lines if every_row else list(compress(lines, is_trade))
    if not leg_lines or len(leg_lines) % 2:
        return False
    references_both = legs(refid)
    references = references_both[0::2]
    if (references != references_both[1::2] or len(set(references)) != len(references)
            or not columns.plain_ids(references, _MAX_ID)):
        return False
    time_cells = legs(time_at)
    first_time_cells = time_cells[0::2]
    first_times = columns.times(first_time_cells)
    if first_times is None:
        return False
    if time_cells[1::2] == first_time_cells:  # both rows of a trade at the same time (always, in Kraken's files)
        moments = first_times[0]
    else:
        second_times = columns.times(time_cells[1::2])
        if second_times is None:
            return False
        moments = list(map(min, first_times[0], second_times[0]))
    amount_cells, fee_cells = legs(amount_at), legs(fee_at)
    first_amounts = columns.numbers(amount_cells[0::2], signed=True)
    second_amounts = columns.numbers(amount_cells[1::2], signed=True)
    first_fees = columns.numbers(fee_cells[0::2], signed=True)
    second_fees = columns.numbers(fee_cells[1::2], signed=True)
    if (first_amounts is None or second_amounts is None or first_fees is None or second_fees is None
            or not all(first_amounts[0]) or not all(second_amounts[0])):
        return False
    first_received = list(map(operator.gt, first_amounts[0], repeat(_ZERO)))
    if list(map(operator.lt, second_amounts[0], repeat(_ZERO))) != first_received:
        return False  # not one row received and one spent per trade
    asset_cells = legs(asset_at)
    try:
        assets: dict[str, str] = {}
        first_assets = columns.lookup(asset_cells[0::2], assets, _ledger_asset)
        second_assets = columns.lookup(asset_cells[1::2], assets, _ledger_asset)
    except RowProblem:
        return False
    first_fee_values = list(map(Decimal.copy_abs, first_fees[0]))
    second_fee_values = list(map(Decimal.copy_abs, second_fees[0]))
    fee_on_second = any(second_fee_values)
    if (any(map(operator.eq, first_assets, second_assets))
            or fee_on_second and any(map(operator.and_, map(bool, first_fee_values), map(bool, second_fee_values)))):
        return False
    read = _trade_sides(first_received, first_assets, first_amounts[0], second_assets, second_amounts[0])
    if read is None:
        return False
    bases, base_amounts, quote_amounts, sides, quotes = read
    qtys = list(map(Decimal.copy_abs, base_amounts))
    prices = columns.quotients(list(map(Decimal.copy_abs, quote_amounts)), qtys)
    if prices is None or not all(prices):
        return False
    try:
        if bases.count(bases[0]) == len(bases) and quotes.count(quotes[0]) == len(quotes):  # one pair
            symbols = [_symbol_of_pair((bases[0], quotes[0]))] * len(bases)
        else:
            symbols = columns.lookup(list(zip(bases, quotes, strict=True)), {}, _symbol_of_pair)
    except RowProblem:
        return False
    if not fee_on_second:  # the fee on the first row of every trade, or none
        fees = [_ZERO + fee if fee else None for fee in first_fee_values]
        fee_assets = [asset if fee else "" for asset, fee in zip(first_assets, first_fee_values, strict=True)]
    else:
        fees = [_ZERO + (fa or fb) if fa or fb else None for fa, fb in zip(first_fee_values, second_fee_values,
                                                                            strict=True)]
        fee_assets = [a if fa else b if fb else "" for a, b, fa, fb in zip(first_assets, second_assets,
                                                                           first_fee_values, second_fee_values,
                                                                           strict=True)]
    result.trades += columns.trades(references, symbols, sides, qtys, prices, moments, fees, fee_assets, quotes)
    result.lines += leg_lines[0::2]
    result.raws += [None] * len(references)
    if not every_row:
        for (label, trade_type), trade_row in zip(kinds, is_trade, strict=True):
            if not trade_row:
                result.skip(label if not trade_type else "failed (no txid)")
    return True


def _trade_sides(first_received: list[bool], first_assets: list[str], first_amounts: list[Decimal],
                 second_assets: list[str], second_amounts: list[Decimal]) -> tuple[list, ...] | None:
    """Per trade the base asset, the base and quote amounts, the side and the quote asset: the side is BUY when the
    base is the asset received. None if two assets have no quote between them."""
    received_first = first_received.count(True)
    if received_first in (0, len(first_received)) and first_assets.count(first_assets[0]) == len(first_assets) \
            and second_assets.count(second_assets[0]) == len(second_assets):
        # Nearly every ledger: one pair, the same asset received on the same row of every trade.
        into, out = (first_assets, second_assets) if received_first else (second_assets, first_assets)
        into_amounts, out_amounts = (first_amounts, second_amounts) if received_first else (second_amounts,
                                                                                             first_amounts)
        try:
            quote = quote_of(into[0], out[0])
        except RowProblem:
            return None
        count = len(into)
        if quote == into[0]:
            return out, out_amounts, into_amounts, ["SELL"] * count, [quote] * count
        return into, into_amounts, out_amounts, ["BUY"] * count, [quote] * count
    incoming = [(a, b) if received else (b, a) for a, b, received in zip(
        zip(first_assets, first_amounts, strict=True), zip(second_assets, second_amounts, strict=True),
        first_received, strict=True)]
    try:
        quotes = columns.lookup([(into[0], out[0]) for into, out in incoming], {}, _quote_of_pair)
    except RowProblem:
        return None
    read = [(out[0], out[1], into[1], "SELL") if quote == into[0] else (into[0], into[1], out[1], "BUY")
            for (into, out), quote in zip(incoming, quotes, strict=True)]
    return (columns.field(read, 0), columns.field(read, 1), columns.field(read, 2), columns.field(read, 3),
            quotes)


_ZERO = Decimal(0)


def _ledger_kind(cell: str) -> tuple[str, bool]:
    return cell.strip()[:64], cell.strip().lower() in _TRADE_TYPES


def _ledger_asset(cell: str) -> str:
    return clean_asset(kraken_asset(cell), what="asset")


def _quote_of_pair(pair: tuple[str, str]) -> str:
    return quote_of(*pair)


def _symbol_of_pair(pair: tuple[str, str]) -> str:
    return symbol_of(*pair)


def _ledger_trade(reference: str, entries: list[_Entry]) -> TradeDTO:
    moved = [entry for entry in entries if entry.amount != 0]
    received = [entry for entry in moved if entry.amount > 0]
    spent = [entry for entry in moved if entry.amount < 0]
    if len(received) != 1 or len(spent) != 1:
        raise RowProblem(f"a trade needs one row received and one spent, found {len(received)} and {len(spent)}")
    incoming, outgoing = received[0], spent[0]
    if incoming.asset == outgoing.asset:
        raise RowProblem("both rows are in the same asset")
    fees: dict[str, Decimal] = {}
    for entry in entries:
        if entry.fee:
            fees[entry.asset] = fees.get(entry.asset, Decimal(0)) + entry.fee
    if len(fees) > 1:
        raise RowProblem("fees in two assets: " + ", ".join(f"{decimal_text(fee)} {asset}"
                                                               for asset, fee in fees.items()))
    quote = quote_of(incoming.asset, outgoing.asset)
    base_entry, quote_entry = (outgoing, incoming) if quote == incoming.asset else (incoming, outgoing)
    qty = base_entry.amount.copy_abs()
    price = positive(divide(quote_entry.amount.copy_abs(), qty, what="amount"), what="amount")
    symbol = symbol_of(base_entry.asset, quote)
    fee_asset, fee = next(iter(fees.items())) if fees else ("", None)
    return new_trade(reference, symbol, "BUY" if base_entry is incoming else "SELL", qty, price,
                     min(entry.ts for entry in entries), fee, fee_asset, quote)


LEDGERS = FormatSpec(
    name="kraken_ledgers",
    broker=BROKER,
    required=tuple(frozenset({name}) for name in ("txid", "refid", "time", "type", "asset", "amount", "fee",
                                                  "balance")),
    parse=parse_ledgers,
)

SPECS = (TRADES, LEDGERS)
