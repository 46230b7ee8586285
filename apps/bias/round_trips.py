"""Positions (round trips): each exit with the entries it closed, and each entry still open.

The realised P/L and holding time of an exit are the stored FIFO outcome of scoring (`TradePosition`, net of the
fees of both sides, in the market's quote currency), so they match every other figure in the app. What is worked
out here is only which entries each exit closed: the same first-in-first-out order over the user's trades of a
market (time, buys before sells at the same instant, then id), counting quantities only. An exit with no earlier
entry (the history starts mid-position) is listed with an unknown entry and P/L, never zero.

Three queries whatever the page: the trades of the markets in view, their stored positions, their labels.
"""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.core.fifo import fifo_take
from apps.core.formatting import zone
from apps.core.pagination import cursor_datetime, cursor_decode, cursor_encode
from apps.trades.selectors import trade_queryset

from .models import BiasTag, TradePosition

ZERO = Decimal(0)
STATUSES = ("all", "closed", "open")


@dataclass
class RoundTrip:
    id: str  # the exit trade's id for a closed position, the entry's for an open one
    status: str  # "closed" | "open"
    symbol: str
    quote: str
    qty: Decimal
    at: datetime  # when it closed (closed) or opened (open): the order of the list
    entry_price: Decimal | None = None  # quantity-weighted over the entries it closed
    entry_at: datetime | None = None  # the earliest of those entries
    exit_price: Decimal | None = None
    exit_at: datetime | None = None
    held_hours: float | None = None  # closed: quantity-weighted mean; open: since the entry, until now
    realized_pnl: Decimal | None = None
    entry_trade_ids: list[str] = field(default_factory=list)
    exit_trade_id: str | None = None
    brokers: set[str] = field(default_factory=set)
    entry_labels: list[str] = field(default_factory=list)
    exit_labels: list[str] = field(default_factory=list)


def _quote(row: dict) -> str:
    return row["quote_asset"] or row["symbol"].partition("-")[2]


def _order_key(row: dict):
    return row["ts"], 0 if row["side"] == "BUY" else 1, row["id"]


def _match(rows: list[dict], positions: dict[str, dict], now: datetime) -> list[RoundTrip]:
    """Round trips of one market's trades (already in FIFO order)."""
    lots: deque[list] = deque()  # [entry row, quantity still open]
    trips = []
    for row in rows:
        if row["side"] == "BUY":
            lots.append([row, row["qty"]])
            continue
        legs, remaining = fifo_take(lots, row["qty"])
        matched = row["qty"] - remaining
        stored = positions.get(row["id"]) or {}
        trip = RoundTrip(id=row["id"], status="closed", symbol=row["symbol"], quote=_quote(row),
                         qty=matched if legs else row["qty"], at=row["ts"], exit_price=row["price"],
                         exit_at=row["ts"], exit_trade_id=row["id"], brokers={row["broker"]},
                         realized_pnl=stored.get("realized_pnl") if legs else None,
                         held_hours=stored.get("held_hours") if legs else None)
        if legs:
            trip.entry_price = sum((entry["price"] * qty for entry, qty in legs), ZERO) / matched
            trip.entry_at = min(entry["ts"] for entry, _ in legs)
            trip.entry_trade_ids = list(dict.fromkeys(entry["id"] for entry, _ in legs))
            trip.brokers.update(entry["broker"] for entry, _ in legs)
        trips.append(trip)
    for entry, still_open in lots:
        trips.append(RoundTrip(id=entry["id"], status="open", symbol=entry["symbol"], quote=_quote(entry),
                               qty=still_open, at=entry["ts"], entry_price=entry["price"], entry_at=entry["ts"],
                               held_hours=(now - entry["ts"]).total_seconds() / 3600, entry_trade_ids=[entry["id"]],
                               brokers={entry["broker"]}))
    return trips


def _window(user, day_from: date | None, day_to: date | None) -> tuple[datetime | None, datetime | None]:
    if day_from and day_to and day_to < day_from:
        raise ValidationFailed("The last day is before the first.", fields={"to": ["Pick a day on or after 'from'."]})
    local = zone(getattr(user, "timezone", "UTC"))
    since = datetime.combine(day_from, time.min, tzinfo=local) if day_from else None
    until = datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=local) if day_to else None
    return since, until


def position_round_trips(*, user, status: str = "all", symbol: str | None = None, broker: str | None = None,
                         label: str | None = None, day_from: date | None = None, day_to: date | None = None,
                         cursor: str | None = None, limit: int = 50) -> tuple[list[RoundTrip], str | None]:
    """The user's positions, newest first (by when each closed, or opened if still open), keyset-paginated.

    `symbol` and `broker` keep positions of that market or with a trade on that exchange; `label` those whose
    entry or exit carries it; `day_from`..`day_to` (inclusive, the user's days) those closed (or opened) then."""
    if status not in STATUSES:
        raise ValidationFailed("Unknown status.", fields={"status": [f"Use one of: {', '.join(STATUSES)}."]})
    since, until = _window(user, day_from, day_to)
    after = None
    if cursor:
        values = cursor_decode(cursor)
        if len(values) != 2:
            raise ValidationFailed("The cursor is not valid.", code="invalid_cursor")
        after = (cursor_datetime(values[0]), values[1])

    trades = trade_queryset().filter(user=user)
    stored = TradePosition.objects.filter(user=user)
    tags = BiasTag.objects.filter(trade__user=user)
    if symbol:
        symbol = symbol.strip().upper()
        trades, stored = trades.filter(symbol=symbol), stored.filter(symbol=symbol)
        tags = tags.filter(trade__symbol=symbol)
    by_symbol: dict[str, list[dict]] = defaultdict(list)
    for row in trades.values("id", "symbol", "side", "qty", "price", "ts", "broker", "quote_asset"):
        row["side"] = row["side"].strip().upper()
        by_symbol[row["symbol"]].append(row)
    positions = {row["trade_id"]: row for row in stored.values("trade_id", "realized_pnl", "held_hours")}
    labels: dict[str, list[str]] = defaultdict(list)
    for trade_id, name in tags.order_by("trade_id", "-confidence", "label").values_list("trade_id", "label"):
        labels[trade_id].append(name)

    now = timezone.now()
    trips = []
    for rows in by_symbol.values():
        rows.sort(key=_order_key)
        trips.extend(_match(rows, positions, now))
    selected = []
    for trip in trips:
        trip.exit_labels = labels.get(trip.exit_trade_id, []) if trip.exit_trade_id else []
        trip.entry_labels = sorted({name for trade_id in trip.entry_trade_ids for name in labels.get(trade_id, [])})
        if status != "all" and trip.status != status:
            continue
        if broker and broker not in trip.brokers:
            continue
        if label and label not in trip.entry_labels and label not in trip.exit_labels:
            continue
        if (since and trip.at < since) or (until and trip.at >= until):
            continue
        if after and (trip.at, trip.id) >= after:
            continue
        selected.append(trip)
    selected.sort(key=lambda trip: (trip.at, trip.id), reverse=True)
    page = selected[:limit]
    next_cursor = cursor_encode([page[-1].at.isoformat(), page[-1].id]) if len(selected) > limit else None
    return page, next_cursor
