"""Binance Buy Crypto history (Wallet → Buy/Sell history → Export): one row per purchase of crypto with a card,
a bank transfer or the fiat cash balance.

    Date(UTC),Method,Amount,Price,Fees,Final Amount,Status,Transaction ID
    2021-01-01 23:59:59,Credit Card,200.00 CAD,1.3059892 USDT/CAD,4.00 CAD,150.07781032 USDT,Completed,a5334…

The layout and that row (its id shortened) are from a public repository's pull request importing this export;
a second public importer has the same header, saved again by a spreadsheet with `;` between the cells, and the
row `2021-10-03 11:31:19;Cash Balance;49.10 EUR;41266.053 BTC/EUR;0.00 EUR;0.00118984 BTC;Completed;…`.

Every row buys the coin of Final Amount with the coin of Amount. Amount is what was paid, fees included:
(200.00 − 4.00) ÷ 1.3059892 = 150.0778 USDT. So the trade's price is (Amount − Fees) ÷ Final Amount, and the fee
is Fees in Amount's coin: quantity × price + fee is what was paid. Binance's own Price column is that same rate
rounded (and written `USDT/CAD` for CAD per USDT); it is only checked to name the two coins. Only completed
purchases are trades; others are counted by status. The export is a spreadsheet, so a CSV of it may carry the
spreadsheet's dates (`1/2/2021 23:59`): their order is decided from the whole column.
"""
from __future__ import annotations

import operator
import re
from collections import deque
from decimal import Decimal
from itertools import compress, repeat

from apps.brokers.types import TradeDTO

from . import columns
from .base import FormatSpec, ParseResult, ResultBuilder, RowIdentity, RowProblem, new_trade
from .generic import month_first_in_column
from .plain_columns import ColumnOf, collect_columns
from .table import Table, column_index, header_key
from .values import decimal_text, divide, parse_glued, parse_timestamp, positive, symbol_of

BROKER = "binance"
FORMAT = "binance_buy_crypto"
_NAMES = {
    "date": "Date(UTC)", "method": "Method", "amount": "Amount", "price": "Price", "fees": "Fees",
    "final": "Final Amount", "status": "Status", "id": "Transaction ID",
}
_KEYS = {field: header_key(name) for field, name in _NAMES.items()}
_REQUIRED = ("date", "method", "amount", "fees", "final")
_NO_FEE = {"", "--", "-"}
_COMPLETED = "completed"
_MAX_ID = 64


def parse_buy_crypto(table: Table) -> ParseResult:
    keys = table.keys
    at = {field: column_index(keys.index(key) if key in keys else None) for field, key in _KEYS.items()}
    month_first = month_first_in_column(table, at["date"], _NAMES["date"], advice=(
        "Save the export again with dates written year first (2021-01-02 23:59:59) and upload it again."))
    identity = RowIdentity("bnc-buy")
    return collect_columns(ResultBuilder(format=FORMAT, broker=BROKER), table,
                           lambda column: _purchases(column, at, identity),
                           lambda cells: _row(cells, at, month_first, identity))


# A coin as parse_glued reads it after a number: not one starting E and a digit (`100 E5` is 100E5, no coin).
_COIN = re.compile(r"(?!E\d)[A-Z][A-Z0-9]{0,14}")
_ID_PREFIX = "bnc-buy-"


def _status_skipped(cell: str) -> str | None:
    status = " ".join(cell.split())
    return None if status.lower() == _COMPLETED else status[:64] or "No status"


def _amounts(cells: list[str]) -> tuple[list[Decimal], list[str], list[str]] | None:
    """`200.00 CAD` cells → values, canonical texts and coins (as parse_glued reads them); None unless every cell is
    a plain number, one space and a coin."""
    coin = cells[0].rpartition(" ")[2]
    if _COIN.fullmatch(coin) and all(map(str.endswith, cells, repeat(" " + coin, len(cells)))):
        numbers, coins = list(map(str.removesuffix, cells, repeat(" " + coin, len(cells)))), [coin] * len(cells)
    else:
        parts = list(map(str.partition, cells, repeat(" ", len(cells))))
        numbers, coins = columns.field(parts, 0), columns.field(parts, 2)
        if not all(map(_COIN.fullmatch, set(coins))):
            return None
    read = columns.numbers(numbers)
    return None if read is None else (read[0], read[1], coins)


def _purchases(column: ColumnOf, at: dict[str, int], identity: RowIdentity) -> list[TradeDTO | str] | None:
    """Rows read column by column (see plain_columns.collect_columns): each purchase's trade or the status it is
    skipped under, or None to read the rows one by one (for any cell out of the plain shape)."""
    statuses = column(at["status"])
    count = len(statuses)
    if at["status"] < 0 or set(statuses) == {"Completed"}:
        skipped: list[str | None] = [None] * count
        kept = None
    else:
        skipped = columns.lookup(statuses, {}, _status_skipped)
        kept = list(map(operator.not_, skipped))
        if not any(kept):
            return skipped

    def cells_of(name: str) -> list[str]:
        cells = column(at[name])
        return cells if kept is None else list(compress(cells, kept))

    read = columns.times(cells_of("date"))
    paid, bought = _amounts(cells_of("amount")), _amounts(cells_of("final"))
    if read is None or paid is None or bought is None or not all(bought[0]):
        return None
    fee_cells = cells_of("fees")
    if at["fees"] < 0 or not set(map(str.strip, fee_cells)).isdisjoint(_NO_FEE):
        return None  # a purchase without a fee: read one by one
    fees = _amounts(fee_cells)
    if fees is None or fees[2] != paid[2]:
        return None
    if _one_value(bought[2]) and _one_value(paid[2]):  # nearly always one coin bought with one coin in the file
        pairs = [(bought[2][0], paid[2][0])]
        expected_units = repeat(f" {pairs[0][0]}/{pairs[0][1]}", len(paid[2]))
    else:
        pairs = list(zip(bought[2], paid[2], strict=True))
        expected_units = map(" ".__add__, map("/".join, pairs))
    if not all(map(str.endswith, cells_of("price"), expected_units)):
        return None  # Binance's price names the two coins; any other cell is checked row by row
    ids = cells_of("id")
    if at["id"] >= 0 and not columns.plain_ids(ids, _MAX_ID):
        return None
    costs = list(map(operator.sub, paid[0], fees[0]))
    if min(costs) <= 0:
        return None
    try:
        symbols = columns.lookup(pairs, {}, _symbol_of_pair)
    except RowProblem:
        return None
    if len(symbols) == 1:
        symbols *= len(costs)
    prices = columns.quotients(costs, bought[0])
    if prices is None:
        return None
    if at["id"] >= 0:
        ext_ids = list(map(_ID_PREFIX.__add__, ids))
    else:
        keys = list(map("|".join, zip(read[1], symbols, paid[1], bought[1], fees[1], strict=True)))
        ext_ids = columns.hashed_ids(identity, keys)
    made = columns.trades(ext_ids, symbols, ["BUY"] * len(ext_ids), bought[0], prices, read[0], fees[0], paid[2],
                          paid[2])
    if kept is None:
        return made
    deque(map(skipped.__setitem__, compress(range(count), kept), made), maxlen=0)  # the trades in their rows
    return skipped


def _one_value(values: list[str]) -> bool:
    return values.count(values[0]) == len(values)


def _symbol_of_pair(pair: tuple[str, str]) -> str:
    return symbol_of(*pair)


def _row(cells: list[str], at: dict[str, int], month_first: bool, identity: RowIdentity) -> TradeDTO | str:
    """The purchase's trade, or the status it is skipped under when it did not complete."""
    if at["status"] >= 0:
        status = " ".join(cells[at["status"]].split())
        if status.lower() != _COMPLETED:
            return status[:64] or "No status"
    ts = parse_timestamp(cells[at["date"]], what=_NAMES["date"], month_first=month_first)
    paid, paid_asset = _coin_amount(cells[at["amount"]], _NAMES["amount"])
    bought, bought_asset = _coin_amount(cells[at["final"]], _NAMES["final"])
    fee_cell = cells[at["fees"]].strip()
    fee = Decimal(0)
    if fee_cell not in _NO_FEE:
        fee, fee_asset = parse_glued(fee_cell, what=_NAMES["fees"])
        fee = fee.copy_abs()
        if fee_asset and fee_asset != paid_asset:
            raise RowProblem(f"Fees are in {fee_asset}, not in {paid_asset} like the Amount")
    _check_price_coins(cells[at["price"]], bought_asset, paid_asset)
    positive(bought, what=_NAMES["final"])
    cost = positive(paid - fee, what="Amount less Fees")
    symbol = symbol_of(bought_asset, paid_asset)
    price = divide(cost, bought, what="Price ((Amount − Fees) ÷ Final Amount)")
    transaction_id = cells[at["id"]].strip()
    if len(transaction_id) > _MAX_ID:
        raise RowProblem(f"{_NAMES['id']} is longer than {_MAX_ID} characters")
    ext_id = (f"bnc-buy-{transaction_id}" if transaction_id
              else identity.ext_id(ts.isoformat(), symbol, decimal_text(paid), decimal_text(bought), decimal_text(fee)))
    return new_trade(ext_id, symbol, "BUY", bought, price, ts, fee, paid_asset, paid_asset)


def _coin_amount(cell: str, what: str) -> tuple[Decimal, str]:
    """`200.00 CAD` → (200.00, "CAD"); the coin must be named."""
    value, asset = parse_glued(cell, what=what)
    if not asset:
        raise RowProblem(f"{what} names no coin")
    return value, asset


def _check_price_coins(cell: str, bought: str, paid: str) -> None:
    """Binance writes the price `1.3059892 USDT/CAD`: the bought coin, then the paid one."""
    unit = cell.strip().rpartition(" ")[2] if " " in cell.strip() else ""
    if unit and unit.upper() != f"{bought}/{paid}":
        raise RowProblem(f"Price is in {unit}, not in {bought}/{paid} (Final Amount's coin / Amount's coin)")


BUY_CRYPTO_SPEC = FormatSpec(
    name=FORMAT,
    broker=BROKER,
    required=tuple(frozenset({_KEYS[field]}) for field in _REQUIRED),
    parse=parse_buy_crypto,
)
SPECS = (BUY_CRYPTO_SPEC,)
