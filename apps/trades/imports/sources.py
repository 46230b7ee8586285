"""Where an import's pages of trades come from, behind one interface: the broker API or an uploaded file.

A source yields pages from the job's checkpoint (`job.cursor`) on, so a resumed job continues after the
last stored page. It raises `ImportStopped` (a reason the user can act on) when it cannot go on.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Protocol, get_args, get_type_hints

from apps.brokers.services import candles_prefetch_start, candles_prefetch_wait, connection_adapter
from apps.brokers.types import TradeDTO, TradePage
from apps.core.errors import DomainError, ExternalServiceError

from ..models import ImportJob
from ..selectors import broker_connection_for_job

UPLOAD_PAGE_SIZE = 1000


class ImportStopped(DomainError):
    """The source cannot go on. `retry`: the cause may pass by itself (an exchange outage), so the job is
    tried again later; otherwise it needs the user (reconnect, new credentials) and the job fails."""

    code = "import_stopped"
    status = 409

    def __init__(self, message: str, *, retry: bool = False):
        super().__init__(message)
        self.retry = retry


# Exchange errors that may pass by themselves (5xx or 429 after the adapter's own retries, circuit open).
TRANSIENT_CODES = frozenset({"broker_error", "broker_unavailable", "upstream_error"})


class ImportSource(Protocol):
    def pages(self, job: ImportJob) -> Iterator[TradePage]: ...


class BrokerApiSource:
    """Pages of fills from the user's connection; candles for each page are fetched meanwhile, so scoring
    finds them stored when the import ends."""

    def pages(self, job: ImportJob) -> Iterator[TradePage]:
        connection = broker_connection_for_job(user_id=job.user_id, connection_id=job.connection_id)
        if connection is None or connection.status != "active":
            raise ImportStopped(f"The {job.broker} connection is no longer active. Reconnect it, then start "
                                "the import again.")
        try:
            adapter = connection_adapter(connection=connection)
        except DomainError as exc:  # paused or disconnected meanwhile, credentials unusable, exchange down
            raise _stopped(job.broker, exc) from exc
        cursor = job.cursor or None
        prefetches = []
        while True:
            try:
                page = adapter.fetch_trades(since=job.since, until=job.until, cursor=cursor)
            except ExternalServiceError as exc:
                raise _stopped(job.broker, exc) from exc
            if page.next_cursor:
                prefetches.append(candles_prefetch_start(trades=page.items))
            else:
                candles_prefetch_wait(prefetches)
            yield page
            if not page.next_cursor:
                return
            cursor = page.next_cursor


def _stopped(broker: str, exc: DomainError) -> ImportStopped:
    name = broker.capitalize()
    message = exc.message if name in exc.message else f"{name}: {exc.message}"
    return ImportStopped(message, retry=exc.code in TRANSIENT_CODES)


class UploadSource:
    """The trades parsed from the file when it was uploaded, a page of UPLOAD_PAGE_SIZE at a time."""

    def pages(self, job: ImportJob) -> Iterator[TradePage]:
        items = upload_items_decode(job.upload.items)
        raw = job.upload.raw or {}
        offset = int(job.cursor or 0)
        while True:
            following = offset + UPLOAD_PAGE_SIZE
            next_cursor = str(following) if following < len(items) else None
            page = items[offset:following]
            page_raw = {t.ext_id: raw[t.ext_id] for t in page if t.ext_id in raw} if raw else None
            yield TradePage(items=page, next_cursor=next_cursor, raw=page_raw or None)
            if next_cursor is None:
                return
            offset = following


def import_source_for(job: ImportJob) -> ImportSource:
    return UploadSource() if job.source == "upload" else BrokerApiSource()


# --- the parsed trades of an upload, stored as JSON (exact decimals as strings, times in ISO-8601) ----------

_HINTS = get_type_hints(TradeDTO)  # resolved annotations, in field order
_FIELDS = tuple(_HINTS)
_DECODERS = {name: (Decimal if Decimal in (get_args(hint) or (hint,)) else
                    datetime.fromisoformat if datetime in (get_args(hint) or (hint,)) else None)
             for name, hint in _HINTS.items()}


def upload_items_encode(trades: list[TradeDTO]) -> list[list]:
    return [[_encode(getattr(trade, name)) for name in _FIELDS] for trade in trades]


def upload_items_decode(rows: list[list]) -> list[TradeDTO]:
    return [TradeDTO(**{name: _decode(name, value) for name, value in zip(_FIELDS, row, strict=True)})
            for row in rows]


def _encode(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=str))
    return value


def _decode(name: str, value):
    decoder = _DECODERS[name]
    return value if value is None or decoder is None else decoder(value)
