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

from decimal import Decimal

from apps.brokers.types import TradeDTO

from .base import FormatSpec, ParseResult, ResultBuilder, RowIdentity, RowProblem, new_trade
from .generic import month_first_in_column
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
    return ResultBuilder(format=FORMAT, broker=BROKER).collect(table, lambda cells: _row(cells, at, month_first, identity))


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
        fee = abs(fee)
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
