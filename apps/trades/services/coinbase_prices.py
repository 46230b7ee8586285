"""Coinbase trades stored at Coinbase's spot price ("Price at Transaction") before uploads stored the price paid
(Subtotal ÷ Quantity): set their price from what the trade's raw data says the file said.

A trade's raw data holds the subtotal when it came from a Coinbase transaction history (`priceSource:
"subtotal"`). Trades stored before raw data was kept have none; the same export, given again, supplies it
(`raw_from_export`), and only to trades that have none. Both steps are idempotent: a trade already at its paid
price is left alone, and raw data once kept is never replaced.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from apps.core.readcache import user_data_changed

from ..models import Trade
from ..parsers import ParseError, parse_file
from ..parsers.base import RowProblem
from ..parsers.values import divide

BROKER = "coinbase"
_BATCH = 1000


@dataclass(slots=True)
class PriceRefresh:
    checked: int = 0  # Coinbase trades looked at
    refreshed: int = 0  # price set to the price paid
    already: int = 0  # already at the price paid
    without_raw: int = 0  # no raw data to refresh from
    unreadable: list[str] = field(default_factory=list)  # ext_ids whose raw data cannot give a price
    raw_added: int = 0  # raw data taken from a given export


def paid_price(trade: Trade) -> Decimal | None:
    """Subtotal ÷ quantity from the trade's raw data, as an upload computes it; None when the raw data does not
    say (no raw data, a price from the notes, no subtotal)."""
    raw = trade.raw or {}
    if raw.get("priceSource") != "subtotal" or not raw.get("subtotal"):
        return None
    try:
        subtotal = Decimal(str(raw["subtotal"]))
        return divide(abs(subtotal), trade.qty, what="subtotal") if subtotal else None
    except (InvalidOperation, RowProblem):
        return None


def raw_from_export(*, user_id, data: bytes) -> int:
    """Keep the raw data a Coinbase transaction history gives on the user's trades of that file that have none.
    -> number of trades given raw data. Raises ParseError for a file that is not such an export."""
    result = parse_file(data)
    if result.broker != BROKER or not result.raw:
        raise ParseError("unknown_format", "This is not a Coinbase transaction history with subtotals.")
    added = 0
    ext_ids = list(result.raw)
    with transaction.atomic():
        for start in range(0, len(ext_ids), _BATCH):
            chunk = ext_ids[start:start + _BATCH]
            trades = list(Trade.objects.select_for_update().filter(
                user_id=user_id, broker=BROKER, ext_id__in=chunk, raw__isnull=True).only("id", "ext_id", "raw"))
            for trade in trades:
                trade.raw = result.raw[trade.ext_id]
            added += Trade.objects.bulk_update(trades, ["raw"], batch_size=500)
    return added


def coinbase_prices_refresh(*, user_id=None, dry_run: bool = False) -> PriceRefresh:
    """Set every Coinbase trade whose raw data gives the price paid to that price. Idempotent."""
    report = PriceRefresh()
    trades = Trade.objects.filter(broker=BROKER).order_by("id").only("id", "user_id", "ext_id", "qty", "price", "raw")
    if user_id is not None:
        trades = trades.filter(user_id=user_id)
    with transaction.atomic():
        changed: list[Trade] = []
        for trade in trades.select_for_update().iterator(chunk_size=_BATCH):
            report.checked += 1
            if not trade.raw:
                report.without_raw += 1
                continue
            price = paid_price(trade)
            if price is None:
                if (trade.raw or {}).get("priceSource") == "subtotal":
                    report.unreadable.append(trade.ext_id)
                continue
            if price == trade.price:
                report.already += 1
                continue
            trade.price = price
            changed.append(trade)
        report.refreshed = len(changed)
        if not dry_run:
            Trade.objects.bulk_update(changed, ["price"], batch_size=500)
            for changed_user_id in {trade.user_id for trade in changed}:
                user_data_changed(changed_user_id)
    return report
