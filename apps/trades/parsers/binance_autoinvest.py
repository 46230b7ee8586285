"""Binance Auto-Invest history (Earn → Auto-Invest → History → Export): one row per recurring purchase.

    Auto-Invest Date(UTC),Holding Coin,Amount per period,Trading Fee,Units,From,Status
    2022-05-01 14:00:00,ETH,10.00000000 USDT,0.00250000 USDT,0.01000000 ETH,Flexible Savings,Success

There is no side and no price: every row is a purchase of the holding coin with the coin of the amount, at
amount ÷ units, the trading fee (`--` when there was none) in the amount's coin. Only successful purchases are
trades; others are counted by status. Binance hands this export out as a spreadsheet, so the CSV is the
spreadsheet saved again, and its dates may be the spreadsheet's (`5/1/2022 14:00`): their order is decided from
the whole column, as for a mapped date column.
"""
from __future__ import annotations

import operator
from decimal import Decimal
from itertools import compress, repeat

from apps.brokers.types import TradeDTO

from . import columns
from .base import FormatSpec, ParseResult, ResultBuilder, RowIdentity, RowProblem, new_trade
from .generic import month_first_in_column
from .plain_columns import ColumnOf
from .table import Table, column_index, header_key
from .values import clean_asset, decimal_text, divide, parse_glued, parse_timestamp, positive, symbol_of

BROKER = "binance"
FORMAT = "binance_auto_invest"
_NAMES = {
    "date": "Auto-Invest Date(UTC)", "coin": "Holding Coin", "amount": "Amount per period", "fee": "Trading Fee",
    "units": "Units", "status": "Status",
}
_KEYS = {field: header_key(name) for field, name in _NAMES.items()}
_REQUIRED = ("date", "coin", "amount", "units")
_NO_FEE = {"", "--", "-"}
_SUCCESS = "success"


def parse_auto_invest(table: Table) -> ParseResult:
    keys = table.keys
    at = {field: column_index(keys.index(key) if key in keys else None) for field, key in _KEYS.items()}
    month_first = month_first_in_column(table, at["date"], _NAMES["date"], advice=(
        "Save the export again with dates written year first (2022-05-01 14:00:00) and upload it again."))
    result = ResultBuilder(format=FORMAT, broker=BROKER)
    identity_state = RowIdentity("bnc-autoinvest")
    identity = identity_state.ext_id
    for lines, column, rows, problems in columns.blocks(table):
        for line, problem in problems:
            result.error(line, problem)
        read_block = _block(column, at, identity_state) if lines else ([], [], [])
        if read_block is not None:
            result.add_picked(lines, *read_block)
            continue
        for line, cells in zip(lines, rows(), strict=True):
            result.take(line, cells, lambda cells: _row(cells, at, month_first, identity))
    result.total_rows += table.row_count
    return result.build()


def _skipped(status: str, has_status: bool) -> str | None:
    """The status a row is skipped under, or None for a purchase that went through."""
    status = status.strip()
    return None if not has_status or status.lower() == _SUCCESS else status[:64]


def _status_skipped(status: str) -> str | None:
    return _skipped(status, True)


def _row(cells: list[str], at: dict[str, int], month_first: bool, identity) -> TradeDTO | str:
    skipped = _skipped(cells[at["status"]], at["status"] >= 0)
    return skipped if skipped is not None else _purchase(cells, at, month_first, identity)


def _split_amounts(cells: list[str]) -> tuple[list[str], list[str]] | None:
    """`10.00000000 USDT` cells → numbers and coins; None unless every cell is a plain number, a space, a coin."""
    coin = cells[0].rpartition(" ")[2] if cells else ""
    if coin.isalnum() and coin.isupper():  # nearly always one coin in a block: cut it off each cell
        numbers = columns.without_suffixes(cells, [" " + coin] * len(cells))
        if numbers is not None:
            return numbers, [coin] * len(cells)
    parts = list(map(str.partition, cells, repeat(" ", len(cells))))
    coins = columns.field(parts, 2)
    if not all(coin.isalnum() and coin.isupper() for coin in set(coins)):  # a cell without the space has no coin
        return None
    return columns.field(parts, 0), coins


def _block(column: ColumnOf, at: dict[str, int],
           identity: RowIdentity) -> tuple[list[bool], list[TradeDTO], list[str]] | None:
    """Rows read column by column: per row whether it is a purchase, the purchases' trades and the statuses the
    other rows are skipped under (see ResultBuilder.add_picked); None to read them one by one."""
    has_status = at["status"] >= 0
    statuses = column(at["status"])
    count = len(statuses)
    kept: list[bool] | None = None
    others: list[str] = []
    if has_status and set(statuses) != {"Success"}:
        skipped = columns.lookup(statuses, {}, _status_skipped)
        kept = [kind is None for kind in skipped]  # an empty status is a skip kind too (""), not a purchase
        others = list(compress(skipped, map(operator.not_, kept)))
        if not any(kept):
            return kept, [], others

    def bought(name: str) -> list[str]:
        return column(at[name]) if kept is None else list(compress(column(at[name]), kept))

    read = columns.times(bought("date"))
    amounts = _split_amounts(bought("amount"))
    units = _split_amounts(bought("units"))
    coins = bought("coin")
    if read is None or amounts is None or units is None or units[1] != coins:
        return None
    fee_cells = bought("fee")
    no_fee = list(map(_NO_FEE.__contains__, fee_cells))
    fees_split = _split_amounts([cell for cell, none in zip(fee_cells, no_fee, strict=True) if not none]
                                if any(no_fee) else fee_cells)
    if fees_split is None:
        return None
    if not any(no_fee):
        fee_numbers, fee_assets = fees_split
    else:
        fee_iter = iter(zip(*fees_split, strict=True))
        fee_numbers, fee_assets = [], []
        for none, quote in zip(no_fee, amounts[1], strict=True):
            number, asset = ("0", quote) if none else next(fee_iter)
            fee_numbers.append(number)
            fee_assets.append(asset)
    read_amounts, read_units, read_fees = (columns.numbers(amounts[0]), columns.numbers(units[0]),
                                           columns.numbers(fee_numbers))
    if read_amounts is None or read_units is None or read_fees is None or at["fee"] < 0:
        return None
    if not (all(read_amounts[0]) and all(read_units[0])):
        return None
    try:
        if coins.count(coins[0]) == len(coins) and amounts[1].count(amounts[1][0]) == len(coins):  # one pair
            symbols = [_symbol((coins[0], amounts[1][0]))] * len(coins)
        else:
            symbols = columns.lookup(list(zip(coins, amounts[1], strict=True)), {}, _symbol)
    except RowProblem:
        return None
    prices = columns.quotients(read_amounts[0], read_units[0])
    if prices is None:
        return None
    moments, isos = read
    keys = list(map("|".join, zip(isos, symbols, read_amounts[1], read_units[1], read_fees[1], fee_assets,
                                  strict=True)))
    made = columns.trades(columns.hashed_ids(identity, keys), symbols, ["BUY"] * len(symbols), read_units[0], prices,
                          moments, read_fees[0], fee_assets, amounts[1])
    return [True] * count if kept is None else kept, made, others


def _symbol(pair: tuple[str, str]) -> str:
    return symbol_of(clean_asset(pair[0], what=_NAMES["coin"]), pair[1])


def _purchase(cells: list[str], at: dict[str, int], month_first: bool, identity):
    ts = parse_timestamp(cells[at["date"]], what=_NAMES["date"], month_first=month_first)
    base = clean_asset(cells[at["coin"]], what=_NAMES["coin"])
    amount, quote = parse_glued(cells[at["amount"]], what=_NAMES["amount"])
    units, units_asset = parse_glued(cells[at["units"]], what=_NAMES["units"])
    if not quote:
        raise RowProblem(f"{_NAMES['amount']} names no coin")
    if units_asset and units_asset != base:
        raise RowProblem(f"{_NAMES['units']} are in {units_asset}, not in {base}")
    positive(amount, what=_NAMES["amount"])
    positive(units, what=_NAMES["units"])
    fee_cell = cells[at["fee"]].strip()
    fee: Decimal | None = None
    fee_asset = ""
    if fee_cell not in _NO_FEE:
        fee, fee_asset = parse_glued(fee_cell, what=_NAMES["fee"])
        fee, fee_asset = fee.copy_abs(), fee_asset or quote
    elif at["fee"] >= 0:
        fee, fee_asset = Decimal(0), quote
    symbol = symbol_of(base, quote)
    price = divide(amount, units, what="Price (amount ÷ units)")
    ext_id = identity(ts.isoformat(), symbol, decimal_text(amount), decimal_text(units),
                      "" if fee is None else decimal_text(fee), fee_asset)
    return new_trade(ext_id, symbol, "BUY", units, price, ts, fee, fee_asset, quote)


AUTO_INVEST_SPEC = FormatSpec(
    name=FORMAT,
    broker=BROKER,
    required=tuple(frozenset({_KEYS[field]}) for field in _REQUIRED),
    parse=parse_auto_invest,
)
SPECS = (AUTO_INVEST_SPEC,)
