"""Where an import's pages of trades come from, behind one interface: the broker API or an uploaded file.

A source yields pages from the job's checkpoint (`job.cursor`) on, so a resumed job continues after the
last stored page. It raises `ImportStopped` (a reason the user can act on) when it cannot go on.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol, get_args, get_type_hints

from django.db import connection as db_connection

from apps.brokers.services import candles_prefetch_start, candles_prefetch_wait, connection_adapter
from apps.brokers.types import TradeDTO, TradePage
from apps.core.background import ContextThreadPoolExecutor
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
    """Pages of fills from the user's connection. While the runner stores a page, the next one is already
    being fetched (on PostgreSQL, outside a transaction: `_PageFetcher`), and the candles of the pages
    fetched so far are fetched meanwhile (`_CandlePrefetch`), so scoring finds them stored when the import
    ends."""

    def pages(self, job: ImportJob) -> Iterator[TradePage]:
        connection = broker_connection_for_job(user_id=job.user_id, connection_id=job.connection_id)
        if connection is None or connection.status != "active":
            raise ImportStopped(f"The {job.broker} connection is no longer active. Reconnect it, then start "
                                "the import again.")
        try:
            adapter = connection_adapter(connection=connection)
        except DomainError as exc:  # paused or disconnected meanwhile, credentials unusable, exchange down
            raise _stopped(job.broker, exc) from exc
        candles = _CandlePrefetch()
        with _PageFetcher(lambda cursor: adapter.fetch_trades(since=job.since, until=job.until, cursor=cursor),
                          ahead=_may_work_beside(db_connection)) as fetcher:
            fetcher.request(job.cursor or None)
            while True:
                try:
                    page = fetcher.next()
                except ExternalServiceError as exc:
                    raise _stopped(job.broker, exc) from exc
                if page.next_cursor:
                    fetcher.request(page.next_cursor)
                    candles.add(page.items)
                else:
                    candles.finish()
                yield page
                if not page.next_cursor:
                    return


def _may_work_beside(connection) -> bool:
    """Whether work on another thread (and its own database connection) may run beside this one: not inside
    a transaction (the other connection could not see its rows) and not on SQLite (one writer at a time)."""
    return connection.vendor != "sqlite" and not connection.in_atomic_block


class _PageFetcher:
    """Fetches the page after `cursor` on its own thread while the caller stores the one before (`ahead`),
    or right when asked for it otherwise. One request at a time either way, in page order; an error
    reaches the caller from `next()`. The thread closes its database connection after each page (the
    adapter uses one only to refresh a token), and a page still in flight when the caller stops is
    dropped: nothing was stored from it."""

    def __init__(self, fetch: Callable[[str | None], TradePage], *, ahead: bool):
        self._fetch = fetch
        self._pool = ContextThreadPoolExecutor(max_workers=1, thread_name_prefix="import-fetch") if ahead else None
        self._pending: Future | str | None = None

    def __enter__(self) -> _PageFetcher:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def request(self, cursor: str | None) -> None:
        self._pending = self._pool.submit(self._fetch_closing, cursor) if self._pool is not None else cursor

    def next(self) -> TradePage:
        pending, self._pending = self._pending, None
        return pending.result() if isinstance(pending, Future) else self._fetch(pending)

    def _fetch_closing(self, cursor: str | None) -> TradePage:
        try:
            return self._fetch(cursor)
        finally:
            db_connection.close()


class _CandlePrefetch:
    """The candles of the pages fetched so far, fetched in the background in batches: the first page's at
    once, then the pages that arrived meanwhile together, one batch at a time and at most one a
    `BATCH_SECONDS`. Each batch checks every market's stored candles (a query per few hundred hours, each
    on a thread and connection of its own) even where an earlier batch fetched them already, so pages that
    come fast share one check instead of paying one each. `finish()` sends what waits and returns when
    every batch is done (waiting `WAIT_SECONDS` at most; what is missing then, scoring fetches)."""

    BATCH_SECONDS = 1.0

    def __init__(self):
        self._spans: dict[str, tuple[datetime, datetime]] = {}
        self._batches: list[Future] = []
        self._sent_at = -self.BATCH_SECONDS

    def add(self, trades) -> None:
        for trade in trades:
            first, last = self._spans.get(trade.symbol, (trade.ts, trade.ts))
            self._spans[trade.symbol] = (min(first, trade.ts), max(last, trade.ts))
        if (not self._batches or self._batches[-1].done()) and (
                time.monotonic() - self._sent_at >= self.BATCH_SECONDS):
            self._send()

    def finish(self) -> None:
        self._send()  # runs after the batch in flight (one background worker)
        candles_prefetch_wait(self._batches)

    def _send(self) -> None:
        if not self._spans:
            return
        bounds = [_Moment(symbol, moment) for symbol, span in self._spans.items() for moment in span]
        self._spans, self._sent_at = {}, time.monotonic()
        batch = candles_prefetch_start(trades=bounds)
        if batch is not None:
            self._batches = [future for future in self._batches if not future.done()] + [batch]


class _Moment(NamedTuple):
    symbol: str
    ts: datetime


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
