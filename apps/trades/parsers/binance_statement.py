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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import compress, repeat
from typing import NamedTuple

from . import columns
from .base import FormatSpec, ParseResult, ResultBuilder, RowIdentity, RowProblem
from .binance import BROKER
from .binance_headers import STATEMENT, STATEMENT_FIELDS, columns_of, required_groups
from .plain_columns import ColumnOf, columns_of_rows, plain_columns
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

    def read_legs(lines: Sequence[int], column: ColumnOf) -> tuple[list, ...] | None:
        """The rows' legs read column by column, as columns (lines, times, ISO times, accounts, operations, coins,
        changes), the other rows counted as skipped; None (nothing done) to read the rows one by one."""
        read = columns.lookup(column(operation_at), block_operations, operation_of)
        is_leg = columns.field(read, 1)
        every_row = all(is_leg)
        if not every_row and not all(columns.field(read, 0)):
            return None  # an empty operation: an error on its line, row by row

        def legs(index: int) -> list[str]:
            return column(index) if every_row else list(compress(column(index), is_leg))

        read_times = columns.times(legs(time_at))
        changes = columns.numbers(legs(change_at), signed=True)
        if read_times is None or changes is None or not all(changes[0]):
            return None
        try:
            leg_coins = columns.lookup(legs(coin_at), block_coins, _coin)
        except RowProblem:
            return None
        leg_accounts = columns.lookup(legs(account_at), accounts, _account)
        operations_read = columns.field(read if every_row else compress(read, is_leg), 0)
        if not every_row:
            result.skipped.update(operation[:64] for operation, leg in read if not leg)
        leg_lines = lines if every_row else list(compress(lines, is_leg))
        return (leg_lines, read_times[0], read_times[1], leg_accounts, operations_read, leg_coins, changes[0],
                changes[1])

    def group(legs: tuple[list, ...]) -> None:
        leg_lines, moments, _, leg_accounts, operations_read, leg_coins, changes, _ = legs
        made = list(map(_TUPLE_NEW, repeat(Leg), zip(leg_lines, moments, leg_accounts, operations_read, leg_coins,
                                                      changes, strict=True)))
        deque(map(list.append, map(groups.__getitem__, zip(moments, leg_accounts, strict=True)), made), maxlen=0)

    split = plain_columns(table)
    whole = None if split is None else read_legs(split.lines, split.column)
    trades_read, texts = (None, None) if whole is None else _usual_triples(whole)
    if whole is not None and trades_read is None:
        group(whole)
    elif whole is None:
        for lines, rows, problems in table.blocks():
            for line, problem in problems:
                result.error(line, problem)
            legs = read_legs(lines, columns_of_rows(rows)) if rows else None
            if legs is not None:
                group(legs)
                continue
            for line, cells in zip(lines, rows, strict=True):
                read_row(line, cells)
    result.total_rows = table.row_count
    identity = RowIdentity("bnc")
    leftovers: list[Unpaired] = []
    if trades_read is None:
        paired = _paired_trades(list(groups.values()), leftovers)
        trades_read = [columns.field(paired, index) for index in range(10)]
    # The trades' ids, DTOs and raw data a field at a time (the same ids identity.ext_id gives trade by trade).
    moments, bases, quotes, sides, qtys, prices, quote_amounts, fees, fee_assets, leg_lines = trades_read
    symbols = columns.lookup(list(zip(bases, quotes, strict=True)), {}, _symbol_of_pair)
    if texts is None:
        texts = (list(map(datetime.isoformat, moments)), list(map(format, qtys, repeat("f"))),
                 list(map(format, quote_amounts, repeat("f"))),
                 ["" if fee is None else format(fee, "f") for fee in fees])
    iso_texts, qty_texts, quote_amount_texts, fee_texts = texts
    keys = list(map("|".join, zip(iso_texts, symbols, sides, map(format, prices, repeat("f")), qty_texts, fee_texts,
                                  fee_assets, strict=True)))
    result.trades += columns.trades(columns.hashed_ids(identity, keys), symbols, sides, qtys, prices, moments, fees,
                                    fee_assets, quotes)
    result.lines += map(operator.itemgetter(0), leg_lines)
    result.raws += [{"quoteAmount": amount, "legLines": lines}
                    for amount, lines in zip(quote_amount_texts, leg_lines, strict=True)]
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


def _usual_triples(legs: tuple[list, ...]) -> tuple[list[list], tuple[list[str], ...] | None] | tuple[None, None]:
    """The trades of the commonest statement, as _paired_trades's columns (_FIELDS): every leg in a group of three
    adjacent legs of one time and account, each group one usual fill with its fee (see usual_trade). With them the
    texts format() writes of the times, quantities, quote amounts and fees, taken from the cells (None when a value
    has more digits than the decimal context keeps, which abs() and - round). (None, None) for any other statement,
    whose groups are then paired one by one (same trades either way)."""
    trades = _usual_triple_columns(legs)
    if trades is None:
        return None, None
    base_at, quote_at, fee_at = trades.pop()
    change_texts = legs[7]
    if max(map(len, change_texts)) > _PLAIN_DIGITS:
        return trades, None
    take_text = change_texts.__getitem__
    unsigned = repeat("-")
    return trades, (legs[2][0::3], list(map(str.lstrip, map(take_text, base_at), unsigned)),
                    list(map(str.lstrip, map(take_text, quote_at), unsigned)),
                    list(map(str.lstrip, map(take_text, fee_at), unsigned)))


_PLAIN_DIGITS = 28  # the default decimal context's precision: a value of no more characters keeps every digit


def _usual_triple_columns(legs: tuple[list, ...]) -> list[list] | None:
    """_usual_triples's trade columns, then the places of the base, quote and fee legs of each trade."""
    leg_lines, moments, isos, leg_accounts, operations, leg_coins, changes, _ = legs
    count = len(leg_lines)
    if not count or count % 3:
        return None
    group_isos = isos[0::3]
    if not (group_isos == isos[1::3] == isos[2::3]):
        return None
    if leg_accounts.count(leg_accounts[0]) == count:  # one account: the time alone tells the groups apart
        distinct = len(set(group_isos))
    else:
        group_accounts = leg_accounts[0::3]
        if not (group_accounts == leg_accounts[1::3] == leg_accounts[2::3]):
            return None
        distinct = len(set(zip(group_isos, group_accounts, strict=True)))
    if distinct != count // 3:
        return None  # legs of one time and account in two places: paired as groups
    roles = columns.lookup(list(zip(operations[0::3], operations[1::3], operations[2::3], strict=True)), {},
                           _triple_roles)
    if None in roles:
        return None
    starts = range(0, count, 3)

    def at(role: int) -> list[int]:
        return list(map(operator.add, starts, map(operator.itemgetter(role), roles)))

    base_at, quote_at, fee_at, received_at, spent_at = at(1), at(2), at(3), at(4), at(5)
    take_change, take_coin = changes.__getitem__, leg_coins.__getitem__
    received, spent, fee_changes = (list(map(take_change, received_at)), list(map(take_change, spent_at)),
                                    list(map(take_change, fee_at)))
    if (min(received) <= 0 or max(spent) >= 0 or max(fee_changes) >= 0
            or any(map(operator.eq, map(take_coin, received_at), map(take_coin, spent_at)))):
        return None
    qtys = list(map(Decimal.copy_abs, map(take_change, base_at)))
    quote_amounts = list(map(Decimal.copy_abs, map(take_change, quote_at)))
    prices = columns.quotients(quote_amounts, qtys)
    if prices is None or not all(prices):
        return None
    return [moments[0::3], list(map(take_coin, base_at)), list(map(take_coin, quote_at)),
            columns.field(roles, 0), qtys, prices, quote_amounts, list(map(operator.neg, fee_changes)),
            list(map(take_coin, fee_at)), list(map(list, zip(leg_lines[0::3], leg_lines[1::3], leg_lines[2::3],
                                                             strict=True))), (base_at, quote_at, fee_at)]


def _triple_roles(operations: tuple[str, str, str]) -> tuple[str, int, int, int, int, int] | None:
    """For three legs' operations, as _usual_parts reads them: the side and the places of the base, quote, fee,
    received and spent legs; None unless they are a usual fill with its fee."""
    index = {operation.lower(): place for place, operation in enumerate(operations)}
    if len(index) != 3:
        return None
    fee = index.get("transaction fee", index.get("fee"))
    if fee is None:
        return None
    received, spent, side = index.get("transaction buy"), index.get("transaction spend"), "BUY"
    if received is None or spent is None:
        received, spent, side = index.get("transaction revenue"), index.get("transaction sold"), "SELL"
        if received is None or spent is None:
            return None
    base, quote = (received, spent) if side == "BUY" else (spent, received)
    return side, base, quote, fee, received, spent


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
        only.fee = sum((leg.change for leg in fees), _ZERO).copy_negate()
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
    return (legs[0].ts, base.coin, quote.coin, side, base.change.copy_abs(), None, quote.change.copy_abs(),
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
    qty = positive(totals[base].copy_abs(), what="Change")
    quote_amount = totals[quote].copy_abs()
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
