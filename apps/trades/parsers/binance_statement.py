"""Binance Transaction History ("Generate all statements"): one row per balance change, so one trade is two or
more rows — the base leg, the quote leg and the fee leg — sharing a time and an account:

    User_ID,UTC_Time,Account,Operation,Coin,Change,Remark          (until 2024)
    User ID,Time,Account,Operation,Coin,Change,Remark              (2025+, two-digit years: 24-01-20 10:11:12)

The legs of one time and account are paired into trades, price = quote leg ÷ base leg. Several fills of one
order in the same second are one trade at their average price. Legs that cannot be paired without guessing (two
coins bought at once against one, a leg without its other side) are reported line by line, never dropped or
invented: the amounts of the produced trades and of the reported legs add up to the file's, coin by coin.
Rows that are not trades (deposits, rewards, transfers …) are counted by operation."""
from __future__ import annotations

import operator
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import compress, repeat
from typing import NamedTuple

from . import columns
from .base import FormatSpec, ParseResult, ResultBuilder, RowIdentity, RowProblem
from .binance import BROKER
from .binance_headers import STATEMENT, STATEMENT_FIELDS, columns_of, required_groups
from .table import Table, column_index
from .values import clean_asset, decimal_text, divide, positive, quote_of, read_decimal, read_time, symbol_of

FORMAT = "binance_transaction_history"

# Operation → the family its legs pair within. The side of each family is fixed by Binance's wording.
_FAMILIES = {
    "transaction buy": "spend_buy", "transaction spend": "spend_buy",
    "transaction sold": "sold_revenue", "transaction revenue": "sold_revenue",
    "buy": "buy", "sell": "sell",
    "binance convert": "convert", "large otc trading": "convert", "small assets exchange bnb": "convert",
}
_FEES = {"fee", "transaction fee"}
_ZERO = Decimal(0)


class Leg(NamedTuple):
    line: int
    ts: datetime
    account: str
    operation: str  # as written
    coin: str
    change: Decimal


@dataclass(frozen=True, slots=True)
class Unpaired:
    leg: Leg
    reason: str


def _columns(table: Table) -> dict[str, int | None]:
    columns = columns_of(table.keys, STATEMENT, STATEMENT_FIELDS, _REQUIRED)
    if columns is None:  # the spec matched, so some language row has every required column
        raise RowProblem("the header lacks a statement column")
    return columns


def parse_statement(table: Table) -> ParseResult:
    result = ResultBuilder(format=FORMAT, broker=BROKER)
    column = _columns(table)
    groups: dict[tuple[datetime, str], list[Leg]] = defaultdict(list)
    operation_at, time_at, account_at, coin_at, change_at = (
        column_index(column[name]) for name in ("operation", "time", "account", "coin", "change"))
    # A statement repeats a few operations, accounts and coins, and each time once per leg: read each text once.
    operations: dict[str, str] = {}
    times: dict[str, datetime] = {}
    accounts: dict[str, str] = {}
    coins: dict[str, str] = {}
    def read_row(line: int, cells: list[str]) -> None:
        operation = operations.get(cells[operation_at])
        if operation is None:
            operation = operations[cells[operation_at]] = " ".join(cells[operation_at].split())
        key = operation.lower()
        if key not in _FAMILIES and key not in _FEES:
            if operation:
                result.skip(operation[:64])
            else:
                result.error(line, "Operation is empty")
            return
        try:
            ts = times.get(cells[time_at])
            if ts is None:
                ts = times[cells[time_at]] = read_time(cells[time_at], what="UTC_Time")[0]
            account = accounts.get(cells[account_at])
            if account is None:
                account = accounts[cells[account_at]] = " ".join(cells[account_at].split())
            coin = coins.get(cells[coin_at])
            if coin is None:
                coin = coins[cells[coin_at]] = clean_asset(cells[coin_at], what="Coin")
            change = read_decimal(cells[change_at], what="Change")[0]
        except RowProblem as problem:
            result.error(line, problem.reason)
            return
        if not change:
            result.error(line, "Change is zero")
            return
        groups[(ts, account)].append(Leg(line, ts, account, operation, coin, change))

    block_operations: dict[str, tuple[str, bool]] = {}
    block_coins: dict[str, str] = {}

    def operation_of(cell: str) -> tuple[str, bool]:
        operation = " ".join(cell.split())
        return operation, operation.lower() in _FAMILIES or operation.lower() in _FEES

    def read_block(lines, rows: list[list[str]]) -> bool:
        """The block's legs read column by column; False (nothing done) to read it row by row."""
        read = columns.lookup([row[operation_at] for row in rows], block_operations, operation_of)
        is_leg = columns.field(read, 1)
        if all(is_leg):
            legs, leg_lines = rows, lines
        else:
            if not all(columns.field(read, 0)):
                return False  # an empty operation: an error on its line, row by row
            legs, leg_lines = list(compress(rows, is_leg)), list(compress(lines, is_leg))
        read_times = columns.times([row[time_at] for row in legs])
        changes = columns.numbers([row[change_at] for row in legs], signed=True)
        if read_times is None or changes is None or not all(changes[0]):
            return False
        try:
            leg_coins = columns.lookup([row[coin_at] for row in legs], block_coins, _coin)
        except RowProblem:
            return False
        leg_accounts = columns.lookup([row[account_at] for row in legs], accounts, _account)
        operations_read = columns.field(compress(read, is_leg), 0) if legs is not rows else columns.field(read, 0)
        if legs is not rows:
            result.skipped.update(operation[:64] for operation, leg in read if not leg)
        made = list(map(_TUPLE_NEW, repeat(Leg), zip(leg_lines, read_times[0], leg_accounts, operations_read,
                                                      leg_coins, changes[0], strict=True)))
        deque(map(list.append, map(groups.__getitem__, zip(read_times[0], leg_accounts, strict=True)), made),
              maxlen=0)
        return True

    for lines, rows, problems in table.blocks():
        for line, problem in problems:
            result.error(line, problem)
        if rows and not read_block(lines, rows):
            for line, cells in zip(lines, rows, strict=True):
                read_row(line, cells)
    result.total_rows = table.row_count
    identity = RowIdentity("bnc")
    leftovers: list[Unpaired] = []
    paired = _paired_trades(list(groups.values()), leftovers)
    # The trades' ids, DTOs and raw data a field at a time (the same ids identity.ext_id gives trade by trade).
    moments, bases, quotes, sides, qtys, prices, quote_amounts, fees, fee_assets, leg_lines = (
        columns.field(paired, index) for index in range(10))
    symbols = columns.lookup(list(zip(bases, quotes, strict=True)), {}, _symbol_of_pair)
    fee_texts = ["" if fee is None else format(fee, "f") for fee in fees]
    keys = list(map("|".join, zip(map(datetime.isoformat, moments), symbols, sides, map(format, prices, repeat("f")),
                                  map(format, qtys, repeat("f")), fee_texts, fee_assets, strict=True)))
    result.trades += columns.trades(columns.hashed_ids(identity, keys), symbols, sides, qtys, prices, moments, fees,
                                    fee_assets, quotes)
    result.lines += map(operator.itemgetter(0), leg_lines)
    result.raws += [{"quoteAmount": format(amount, "f"), "legLines": lines}
                    for amount, lines in zip(quote_amounts, leg_lines, strict=True)]
    for item in sorted(leftovers, key=lambda unpaired: unpaired.leg.line):
        leg = item.leg
        result.error(leg.line, f"{leg.operation} of {decimal_text(leg.change)} {leg.coin} at {leg.ts:%Y-%m-%d %H:%M:%S} "
                               f"({leg.account or 'no account'}) was not imported: {item.reason}")
    result.errors.sort(key=lambda error: error.line)
    return result.build()


@dataclass(slots=True)
class PairedTrade:
    ts: datetime
    base: str
    quote: str
    side: str
    qty: Decimal
    price: Decimal
    quote_amount: Decimal  # exact quote leg total (the price is rounded)
    fee: Decimal | None
    fee_asset: str
    lines: list[int]


_FIELDS = ("ts", "base", "quote", "side", "qty", "price", "quote_amount", "fee", "fee_asset", "lines")
_TUPLE_NEW = tuple.__new__


def _paired_trades(groups: list[list[Leg]], leftovers: list[Unpaired]) -> list[tuple]:
    """pair_legs for every group (its leftover legs added to `leftovers`), the trades as tuples of _FIELDS in
    group order. The usual fills' prices are divided a column at a time (the quotients divide gives)."""
    found: list[tuple | list[tuple]] = []  # per group: its usual fill without a price yet, or its trades
    usual_at: list[int] = []
    for legs in groups:
        usual = _usual_parts(legs) if len(legs) <= 3 else None
        if usual is not None:
            usual_at.append(len(found))
            found.append(usual)
            continue
        trades, unpaired = pair_any(legs)
        leftovers += unpaired
        found.append([operator.attrgetter(*_FIELDS)(trade) for trade in trades])
    usual_parts = [found[index] for index in usual_at]
    prices = columns.quotients(columns.field(usual_parts, 6), columns.field(usual_parts, 4))
    if prices is not None and all(prices):
        for index, parts, price in zip(usual_at, usual_parts, prices, strict=True):
            found[index] = [parts[:5] + (price,) + parts[6:]]
    else:  # a price out of range or rounded to zero: such a group is paired as pair_legs pairs it
        for index in usual_at:
            trades, unpaired = pair_legs(groups[index])
            leftovers += unpaired
            found[index] = [operator.attrgetter(*_FIELDS)(trade) for trade in trades]
    return [trade for trades in found for trade in trades]


def _symbol_of_pair(pair: tuple[str, str]) -> str:
    return symbol_of(*pair)


def _coin(cell: str) -> str:
    return clean_asset(cell, what="Coin")


def _account(cell: str) -> str:
    return " ".join(cell.split())


def pair_legs(legs: list[Leg]) -> tuple[list[PairedTrade], list[Unpaired]]:
    """The trades the legs of one time and account make, and the legs left over with the reason."""
    if len(legs) <= 3:
        usual = usual_trade(legs)
        if usual is not None:
            return [usual], []
    return pair_any(legs)


def pair_any(legs: list[Leg]) -> tuple[list[PairedTrade], list[Unpaired]]:
    """pair_legs for any group."""
    families: dict[str, list[Leg]] = defaultdict(list)
    fees: list[Leg] = []
    for leg in legs:
        key = leg.operation.lower()
        if key in _FEES:
            fees.append(leg)
        else:
            families[_FAMILIES[key]].append(leg)
    if "buy" in families and "sell" in families and not (_two_sided(families["buy"]) and
                                                         _two_sided(families["sell"])):
        # Some statements write the received leg as Buy and the spent leg as Sell.
        families["convert"] = families.pop("buy") + families.pop("sell") + families.get("convert", [])
    trades: list[PairedTrade] = []
    unpaired: list[Unpaired] = []
    for family, members in families.items():
        try:
            trades.append(_pair_family(family, members))
        except RowProblem as problem:
            unpaired += [Unpaired(leg, problem.reason) for leg in members]
    fee_coins = {leg.coin for leg in fees}
    if fees and len(trades) == 1 and len(fee_coins) == 1 and all(leg.change < 0 for leg in fees):
        only = trades[0]
        only.fee = -sum((leg.change for leg in fees), _ZERO)
        only.fee_asset = fees[0].coin
        only.lines = sorted(only.lines + [leg.line for leg in fees])
    elif fees:
        reason = ("a fee refund is not a trade" if any(leg.change > 0 for leg in fees)
                  else "no trade at this time and account to charge the fee to" if not trades
                  else "several trades or fee coins at this time and account; the fee cannot be assigned to one")
        unpaired += [Unpaired(leg, reason) for leg in fees]
    return trades, unpaired


def usual_trade(legs: list[Leg]) -> PairedTrade | None:
    """The trade of the commonest group, one fill with its fee (Transaction Buy + Spend + Fee, or Sold + Revenue +
    Fee), made directly; None for any other group, which the general pairing reads. Same result either way."""
    parts = _usual_parts(legs)
    if parts is None:
        return None
    ts, base, quote, side, qty, _, quote_amount, fee, fee_asset, lines = parts
    try:
        price = positive(divide(quote_amount, qty, what="price"), what="price")
    except RowProblem:
        return None
    return PairedTrade(ts=ts, base=base, quote=quote, side=side, qty=qty, price=price, quote_amount=quote_amount,
                       fee=fee, fee_asset=fee_asset, lines=lines)


def _usual_parts(legs: list[Leg]) -> tuple | None:
    """usual_trade's fill as a tuple of _FIELDS with the price left None (see _paired_trades)."""
    by_operation = {leg.operation.lower(): leg for leg in legs}
    if len(by_operation) != len(legs):
        return None
    fee = by_operation.get("transaction fee") or by_operation.get("fee")
    if len(legs) == 3 and (fee is None or fee.change >= 0):
        return None
    received, spent = by_operation.get("transaction buy"), by_operation.get("transaction spend")
    side = "BUY"
    if received is None or spent is None:
        received, spent = by_operation.get("transaction revenue"), by_operation.get("transaction sold")
        side = "SELL"
        if received is None or spent is None:
            return None
    if len(legs) == 2 and fee is not None or received.change <= 0 or spent.change >= 0 or received.coin == spent.coin:
        return None
    base, quote = (received, spent) if side == "BUY" else (spent, received)
    return (legs[0].ts, base.coin, quote.coin, side, abs(base.change), None, abs(quote.change),
            -fee.change if fee else None, fee.coin if fee else "", sorted(leg.line for leg in legs))


def _two_sided(legs: list[Leg]) -> bool:
    return any(leg.change > 0 for leg in legs) and any(leg.change < 0 for leg in legs)


def _pair_family(family: str, legs: list[Leg]) -> PairedTrade:
    totals: dict[str, Decimal] = {}
    signs: dict[str, set[bool]] = defaultdict(set)
    for leg in legs:
        totals[leg.coin] = totals.get(leg.coin, _ZERO) + leg.change
        signs[leg.coin].add(leg.change > 0)
    if any(len(seen) > 1 for seen in signs.values()):
        raise RowProblem("the same coin moves both ways at this time and account")
    received = [coin for coin, total in totals.items() if total > 0]
    spent = [coin for coin, total in totals.items() if total < 0]
    if not received or not spent:
        raise RowProblem("no opposite leg at this time and account")
    if len(received) > 1 or len(spent) > 1:
        raise RowProblem(f"{len(received)} coins received against {len(spent)} spent at this time and account; "
                         "which pairs with which is not in the file")
    incoming, outgoing = received[0], spent[0]
    if family == "spend_buy":
        _expect(legs, incoming, "transaction buy")
        base, quote, side = incoming, outgoing, "BUY"
    elif family == "sold_revenue":
        _expect(legs, outgoing, "transaction sold")
        base, quote, side = outgoing, incoming, "SELL"
    elif family == "buy":
        base, quote, side = incoming, outgoing, "BUY"
    elif family == "sell":
        base, quote, side = outgoing, incoming, "SELL"
    else:
        quote = quote_of(incoming, outgoing)
        base = outgoing if quote == incoming else incoming
        side = "BUY" if base == incoming else "SELL"
    qty = positive(abs(totals[base]), what="Change")
    quote_amount = abs(totals[quote])
    price = positive(divide(quote_amount, qty, what="price"), what="price")
    return PairedTrade(ts=legs[0].ts, base=base, quote=quote, side=side, qty=qty, price=price,
                       quote_amount=quote_amount, fee=None, fee_asset="", lines=[leg.line for leg in legs])


def _expect(legs: list[Leg], coin: str, operation: str) -> None:
    if any((leg.operation.lower() == operation) != (leg.coin == coin) for leg in legs):
        raise RowProblem(f"the {operation.title()} legs are not all of the coin that moves that way")


_REQUIRED = ("time", "account", "operation", "coin", "change")

STATEMENT_SPEC = FormatSpec(
    name=FORMAT,
    broker=BROKER,
    required=required_groups(STATEMENT, STATEMENT_FIELDS, _REQUIRED),
    parse=parse_statement,
)
