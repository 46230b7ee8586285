"""Trade reads, every one scoped to a user."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from apps.brokers.selectors import connection_get, connection_list
from apps.core.errors import NotFound, ValidationFailed
from apps.core.pagination import clamp_limit, cursor_datetime, cursor_decode, cursor_encode, keyset_after

from .models import ColumnMappingPreset, ImportJob, Trade


@dataclass(frozen=True, slots=True)
class TradeListPage:
    results: list[Trade]
    next_cursor: str | None


def trade_get(*, user, trade_id: str) -> Trade:
    trade = Trade.objects.filter(user=user, id=trade_id).first()
    if trade is None:
        raise NotFound("Trade not found.")
    return trade


def trade_list(*, user, since: datetime | None = None, until: datetime | None = None, symbol: str | None = None,
               cursor: str | None = None, limit: int | str | None = None, descending: bool = False) -> TradeListPage:
    """One page of the user's trades ordered by (ts, id); the cursor is the last row's (ts, id).

    Keyset paging: rows inserted while a client pages never shift what it has not read yet, and no row
    already stored is returned twice or skipped. The index (user, ts, id) serves the filter and the order,
    so a page 500 pages deep reads as few rows as the first (see `keyset_after`).
    """
    size = clamp_limit(limit)
    # by id, not `user=user`: Django would set `trade.user` on every row (slow with request.user's lazy object)
    queryset = Trade.objects.filter(user_id=user.pk).defer("raw")
    if since is not None:
        queryset = queryset.filter(ts__gte=since)
    if until is not None:
        queryset = queryset.filter(ts__lt=until)
    if symbol:
        queryset = queryset.filter(symbol=symbol.upper())
    if cursor:
        queryset = queryset.filter(keyset_after(("ts", "id"), _cursor_position(cursor, descending=descending),
                                                descending=descending))
    order = ("-ts", "-id") if descending else ("ts", "id")
    rows = list(queryset.order_by(*order)[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = cursor_encode([last.ts.isoformat(), last.id, "d" if descending else "a"])
    return TradeListPage(results=rows, next_cursor=next_cursor)


def _cursor_position(cursor: str, *, descending: bool) -> tuple[datetime, str]:
    values = cursor_decode(cursor)
    invalid = ValidationFailed("The cursor is not valid.", code="invalid_cursor")
    if len(values) != 3 or not all(isinstance(v, str) for v in values):
        raise invalid
    if values[2] != ("d" if descending else "a"):
        raise ValidationFailed("The cursor belongs to the other sort order.", code="invalid_cursor")
    return cursor_datetime(values[0]), values[1]


def import_job_get(*, user, job_id: str) -> ImportJob:
    job = ImportJob.objects.filter(user=user, id=job_id).first()
    if job is None:
        raise NotFound("Import job not found.")
    return job


def import_jobs_recent(*, user, limit: int = 10) -> list[ImportJob]:
    return list(ImportJob.objects.filter(user=user).order_by("-created_at")[:limit])


def column_mappings_for(*, user) -> list[ColumnMappingPreset]:
    return list(ColumnMappingPreset.objects.filter(user=user).order_by("name"))


def broker_connection_active_for(*, user, broker: str):
    """The user's newest active connection to `broker`, or None (through the brokers selectors)."""
    return next((c for c in connection_list(user=user) if c.broker == broker and c.status == "active"), None)


def broker_connection_for_job(*, user_id: str, connection_id: str):
    if not connection_id:
        return None
    try:
        return connection_get(user=user_id, connection_id=connection_id)
    except NotFound:
        return None


def broker_connections_for(*, user) -> list:
    """The user's connections that can import (not disconnected), by broker."""
    return sorted((c for c in connection_list(user=user) if c.status != "revoked"), key=lambda c: c.broker)


def trade_queryset() -> QuerySet[Trade]:
    """Every stored trade, for the readers above trades to scope (always by user) and join to their own rows."""
    return Trade.objects.all()


def trade_rows(*, user_ids: list[str], until: datetime, since: datetime | None = None,
               markets: dict[str, list[str]] | None = None) -> list[dict]:
    """The users' trades in [since, until) (from the first one when `since` is None) as plain rows
    {id, user_id, symbol, side, qty, price, fee, quote_asset, ts} in (ts, id) order; with `markets`, only
    those markets of each user."""
    queryset = Trade.objects.filter(user_id__in=user_ids, ts__lt=until)
    if since is not None:
        queryset = queryset.filter(ts__gte=since)
    if markets is not None:
        if not markets:
            return []
        condition = Q()
        for user_id, symbols in markets.items():
            condition |= Q(user_id=user_id, symbol__in=symbols)
        queryset = queryset.filter(condition)
    return list(queryset.order_by("ts", "id").values("id", "user_id", "symbol", "side", "qty", "price", "fee",
                                                     "quote_asset", "ts"))
