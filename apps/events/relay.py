"""The relay: committed outbox rows → the user's open sockets in every web process, then marked delivered.

One asyncio loop per process. It wakes on PostgreSQL `NOTIFY events_outbox` (sent at commit by the table's
statement trigger), on an in-process signal (embedded mode: `event_append` → `relay_wake` after commit),
or after `poll_interval` at the latest.

Scaling out: users are spread over `RELAY_PARTITIONS` partitions and every relay process holds a fair share
of them (session-level advisory locks, see `apps.events.services.outbox_relay_rebalance`), checked at least
every `REBALANCE_INTERVAL`. A relay numbers and publishes only its partitions, each user's rows in position
order. When a relay stops, dies or loses its database connection, the server releases
its locks and the others take its partitions within a poll interval; when one joins, the others hand
extras over. Rows are claimed with `SKIP LOCKED`. After a batch is published the relay raises its
partitions' watermarks to the batch's last position (one small write per batch, not one per row; see
`apps.events.services`); on a Redis or database error the relay backs off (jittered exponential, capped),
reconnects, and resumes with the first position above the watermarks, so nothing is lost. A batch whose
watermark was lost with the database connection (or the relay) is published again by the partition's next
holder; consumers drop positions they already sent.

A claimed batch (up to `batch_size` rows, many users) goes out in one pipelined Redis round trip, one
pub/sub message per user carrying up to `MESSAGE_BATCH` of that user's events with each frame's text made
once (`apps.events.fanout`; the stored payload text goes in as it is when json.dumps would write the same,
see `event_frame_text`); with `--log-level DEBUG` the relay logs one line per message with the events'
`requestId`.
"""
from __future__ import annotations

import asyncio
import logging
import random
import threading
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from apps.core.observability.context import user_ref
from apps.core.observability.metrics import RELAY_FAILURES, RELAY_PUBLISHED, heartbeat_record_async

from .doorbell import relay_doorbell_install
from .fanout import FanoutPublisher
from .services import (
    event_frame_text,
    outbox_claim_batch,
    outbox_mark_delivered,
    outbox_relay_continue,
    outbox_relay_rebalance,
)

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "events_outbox"
MESSAGE_BATCH = 50  # events per published message: a burst of 10k events for one user is 200 messages
REBALANCE_INTERVAL = 0.5  # seconds between checks of the partitions held (joins, departures)

_embedded: dict = {"task": None}
_embedded_lock = threading.Lock()


def _db_reset() -> None:
    """Drop a broken connection (the server releases its advisory lock with it)."""
    try:
        connection.close()
    except Exception:  # the connection is already gone
        logger.debug("closing a broken database connection failed", exc_info=True)


def _published_log(chunk: list) -> None:
    """One line per published message: which events went out, and the request(s) that caused them."""
    request_ids = sorted({row.request_id for row in chunk if row.request_id})
    fields = {"userRef": user_ref(chunk[0].user_id), "events": len(chunk), "eventIds": [row.id for row in chunk],
              "types": sorted({row.type for row in chunk}), "seq": [chunk[0].seq, chunk[-1].seq]}
    if len(request_ids) == 1:
        fields["requestId"] = request_ids[0]
    elif request_ids:
        fields["requestIds"] = request_ids
    logger.debug("outbox events published", extra=fields)


def _item(row) -> list:
    """One event as `apps.events.fanout` carries it: [seq, type, ts, frame text]."""
    ts = row.ts.isoformat()
    return [row.seq, row.type, ts, event_frame_text(row, ts=ts)]


def _db(fn):
    return sync_to_async(fn, thread_sensitive=True)


class OutboxRelay:
    def __init__(self, *, batch_size: int = 500, poll_interval: float = 1.0, listen: bool | None = None,
                 max_backoff: float = 5.0):
        self.publisher = FanoutPublisher()
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.listen = connection.vendor == "postgresql" if listen is None else listen
        self.max_backoff = max_backoff
        self.wake = asyncio.Event()
        self.published = 0
        self.partitions: frozenset[int] = frozenset()  # held on the current database connection
        self.rebalanced_at = 0.0
        self.recovering = True  # look for numbered-but-unpublished rows first

    async def run(self, stop: asyncio.Event) -> None:
        listener = asyncio.create_task(self._listen(stop)) if self.listen else None
        failures = 0
        try:
            while not stop.is_set():
                try:
                    await self.drain()
                    failures = 0
                    await heartbeat_record_async(name="relay")
                except asyncio.CancelledError:
                    raise
                except Exception:
                    failures += 1
                    RELAY_FAILURES.inc()
                    delay = min(self.max_backoff, 0.1 * 2 ** min(failures, 10)) * random.uniform(0.5, 1.0)
                    logger.warning("outbox relay round failed; retrying in %.2fs", delay, exc_info=True)
                    await _db(_db_reset)()  # a fresh connection: partitions are taken again, leftovers first
                    self.partitions = frozenset()
                    await self._sleep(stop, delay)
                    continue
                await self._wait(stop, self.poll_interval)
        finally:
            if listener:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
            await self.publisher.close()
            await _db(_db_reset)()

    async def _rebalance(self) -> frozenset[int]:
        """The partitions to work on this round (re-checked every REBALANCE_INTERVAL, or at once when none)."""
        now = time.monotonic()
        if self.partitions and now - self.rebalanced_at < REBALANCE_INTERVAL:
            return self.partitions
        held = await _db(outbox_relay_rebalance)()
        self.rebalanced_at = now
        if held - self.partitions:
            self.recovering = True  # taken over: the previous holder may have left rows numbered, not delivered
            logger.info("relay holds %d of the outbox partitions", len(held), extra={"partitions": sorted(held)})
        self.partitions = held
        return held

    async def drain(self) -> int:
        """Publish everything committed and unpublished in this relay's partitions. Returns how many rows."""
        self.wake.clear()
        total = 0
        while partitions := await self._rebalance():
            rows, leftovers = await _db(outbox_claim_batch)(
                limit=self.batch_size, include_pending=self.recovering, partitions=partitions)
            while rows:
                self.recovering = leftovers
                await self._publish(rows)  # raises when Redis did not take the batch: it is published again
                through = rows[-1].seq
                total += len(rows)
                self.published += len(rows)
                RELAY_PUBLISHED.inc(len(rows))
                if not leftovers and len(rows) < self.batch_size:
                    # Every row committed before this claim is out; one committed since then rang the
                    # doorbell (NOTIFY) after `wake` was cleared, so the next round starts at once. This
                    # saves a claim that would find nothing (one of three statements per quiet round).
                    await _db(outbox_mark_delivered)(partitions=partitions, through=through)
                    self.recovering = False
                    return total
                if time.monotonic() - self.rebalanced_at >= REBALANCE_INTERVAL:  # a long drain: look again
                    await _db(outbox_mark_delivered)(partitions=partitions, through=through)
                    break
                rows, leftovers = await _db(outbox_relay_continue)(
                    partitions=partitions, delivered_through=through, limit=self.batch_size,
                    include_pending=self.recovering)
            else:
                self.recovering = False
                return total
        return total  # the other relays hold every partition; we stand by

    async def _publish(self, rows: list) -> None:
        """Publish a claimed batch (in position order) in one pipelined round trip: one message per user (at most
        MESSAGE_BATCH events each) with that user's events in position order, each envelope encoded once.
        All or nothing: raises when Redis did not take it."""
        chains: dict[str, list] = {}
        for row in rows:
            chains.setdefault(row.user_id, []).append(row)
        messages = []
        for user_id, items in chains.items():
            for start in range(0, len(items), MESSAGE_BATCH):
                chunk = items[start:start + MESSAGE_BATCH]
                messages.append((user_id, [_item(row) for row in chunk]))
                if logger.isEnabledFor(logging.DEBUG):
                    _published_log(chunk)
        await self.publisher.publish(messages)

    async def _wait(self, stop: asyncio.Event, timeout: float) -> None:
        waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _sleep(self, stop: asyncio.Event, delay: float) -> None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            pass

    async def _listen(self, stop: asyncio.Event) -> None:
        import psycopg

        failures = 0
        while not stop.is_set():
            try:
                params = connection.settings_dict
                async with await psycopg.AsyncConnection.connect(
                    dbname=params["NAME"], user=params.get("USER") or None, password=params.get("PASSWORD") or None,
                    host=params.get("HOST") or None, port=params.get("PORT") or None, autocommit=True,
                ) as conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    failures = 0
                    self.wake.set()  # anything committed while we were not listening
                    async for _notify in conn.notifies():
                        self.wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                delay = min(self.max_backoff, 0.1 * 2 ** min(failures, 10)) * random.uniform(0.5, 1.0)
                logger.warning("outbox LISTEN connection lost; reconnecting in %.2fs", delay, exc_info=True)
                await self._sleep(stop, delay)


def relay_embedded_start() -> None:
    """Start the relay as a task of the running event loop, once per process (embedded default)."""
    if not settings.OUTBOX_RELAY_EMBEDDED or _embedded["task"] is not None:
        return
    with _embedded_lock:
        if _embedded["task"] is not None:
            return
        loop = asyncio.get_running_loop()
        relay = OutboxRelay(poll_interval=settings.OUTBOX_RELAY_POLL_INTERVAL)
        relay_doorbell_install(loop=loop, wake=relay.wake)
        _embedded["task"] = loop.create_task(relay.run(asyncio.Event()))
