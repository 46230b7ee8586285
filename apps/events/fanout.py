"""Live outbox pushes from the relay to the open sockets of every web process, one Redis pub/sub channel per user.

Why not the channel layer: channels-redis' `group_send` costs four round trips per user message, and each
web process then receives channel-layer messages one at a time, two more round trips each (a pop and a
cleanup that the next pop waits for). At 200 events/s over 2 web processes that per-process receive loop
was the bottleneck. Here:
- the relay encodes each envelope's JSON once (the exact text `send_json` would produce) and publishes a
  whole claimed batch in one pipelined round trip: one `PUBLISH` per user with that user's events, in
  position order (`fanout_publish`);
- each web process holds one subscriber connection (per event loop), subscribed to the channels of the
  users with a socket open here; Redis pushes the messages, and the process hands each user's events to
  that user's sockets (`FanoutHub`), which send the text as is.

Pub/sub keeps nothing for a subscriber that is not connected. So the subscriber never reconnects silently
(no retries): when its connection fails, every socket of the process is closed with 1012 (service
restart) and the clients reconnect and resume from their last event id, which the outbox replays; nothing
is lost. A relay whose publish fails backs off and publishes the rows again; sockets drop positions they
already sent, so nothing is sent twice. Without Redis (the embedded default: one process, the relay in it)
the relay hands the messages to the hubs of this process directly.

Wire format of one message: msgpack `[[seq, type, ts, text], ...]`, one user's events in position order.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import weakref

import msgpack
from django.conf import settings

logger = logging.getLogger(__name__)

CLOSE_SERVICE_RESTART = 1012
_READ_TIMEOUT = 1.0

_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> FanoutHub
_hubs_lock = threading.Lock()


def fanout_channel(user_id: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:outbox:user:{user_id}"


def fanout_item(*, seq: int, envelope: dict) -> list:
    """One event as the sockets need it: its position, type (control events are acted on, not sent), `ts`
    (push-latency metric) and the frame's text, encoded once here as the consumer's `send_json` would."""
    return [seq, envelope["type"], envelope.get("ts"), json.dumps(envelope)]


def fanout_encode(items: list[list]) -> bytes:
    return msgpack.packb(items, use_bin_type=True)


def _redis_client():
    import redis.asyncio as redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    # No silent reconnects: a subscriber that reconnected by itself could have missed messages unnoticed.
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0),
                                health_check_interval=15)


class FanoutPublisher:
    """The relay's side: one pipelined round trip per claimed batch."""

    def __init__(self):
        self.client = None

    async def publish(self, messages: list[tuple[str, list[list]]]) -> None:
        """`messages`: (user id, that user's items in position order); several messages of one user stay in
        list order. Raises when Redis did not take them (the relay publishes the rows again later)."""
        if not messages:
            return
        if not settings.REDIS_URL:
            _deliver_local(messages)
            return
        if self.client is None:
            self.client = _redis_client()
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for user_id, items in messages:
                    pipe.publish(fanout_channel(user_id), fanout_encode(items))
                await pipe.execute()
        except Exception:
            client, self.client = self.client, None  # a fresh connection next time
            await _close_quietly(client)
            raise

    async def close(self) -> None:
        client, self.client = self.client, None
        await _close_quietly(client)


async def _close_quietly(client) -> None:
    if client is None:
        return
    try:
        await client.aclose()
    except Exception:
        logger.debug("closing a redis client failed", exc_info=True)


def _deliver_local(messages: list[tuple[str, list[list]]]) -> None:
    """No Redis: the relay runs in this process; give the items to every hub here, on its own loop."""
    with _hubs_lock:
        hubs = list(_hubs.values())
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for hub in hubs:
        for user_id, items in messages:
            if hub.loop is running:
                hub.deliver(user_id, items)
            else:
                hub.loop.call_soon_threadsafe(hub.deliver, user_id, items)


class FanoutHub:
    """The web process's side (one per event loop): user id -> that user's sockets open here.

    A member has `fanout_deliver(items)` (called on the loop; must not wait) and `fanout_lost()` (live
    pushes may have been missed: close so the client resumes)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.members: dict[str, set] = {}
        self.client = None
        self.pubsub = None
        self.reader: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    async def join(self, user_id: str, member) -> None:
        sockets = self.members.setdefault(user_id, set())
        sockets.add(member)
        if not settings.REDIS_URL or len(sockets) > 1:
            return
        async with self.lock:
            if self.pubsub is None:
                self.client = _redis_client()
                self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await self.pubsub.subscribe(fanout_channel(user_id))
            except Exception:
                sockets.discard(member)
                if not sockets:
                    self.members.pop(user_id, None)
                await self._reset()
                raise
            if self.reader is None or self.reader.done():
                self.reader = self.loop.create_task(self._read(self.pubsub))

    async def leave(self, user_id: str, member) -> None:
        sockets = self.members.get(user_id)
        if sockets is None or member not in sockets:
            return
        sockets.discard(member)
        if sockets:
            return
        del self.members[user_id]
        if not settings.REDIS_URL or self.pubsub is None:
            return
        async with self.lock:
            if self.pubsub is not None and user_id not in self.members:
                try:
                    await self.pubsub.unsubscribe(fanout_channel(user_id))
                except Exception:
                    logger.info("unsubscribing a socket's user failed", exc_info=True)

    def deliver(self, user_id: str, items: list[list]) -> None:
        for member in tuple(self.members.get(user_id, ())):
            member.fanout_deliver(items)

    async def _read(self, pubsub) -> None:
        prefix = fanout_channel("")
        try:
            while pubsub is self.pubsub:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=_READ_TIMEOUT)
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else channel
                self.deliver(channel[len(prefix):], msgpack.unpackb(message["data"], raw=False))
        except asyncio.CancelledError:
            raise
        except Exception:
            if pubsub is not self.pubsub:
                return
            logger.warning("the live-push subscription failed; closing this process's sockets so they resume",
                           exc_info=True)
            members = [member for sockets in self.members.values() for member in sockets]
            self.members.clear()
            async with self.lock:
                await self._reset()
            for member in members:
                member.fanout_lost()

    async def _reset(self) -> None:
        pubsub, client = self.pubsub, self.client
        self.pubsub = self.client = None
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except Exception:
                logger.debug("closing the subscriber failed", exc_info=True)
        await _close_quietly(client)


def fanout_hub() -> FanoutHub:
    """This event loop's hub."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        with _hubs_lock:
            hub = _hubs.get(loop)
            if hub is None:
                hub = _hubs[loop] = FanoutHub(loop)
    return hub
