"""`/ws/coach`: the user's live events, with resume from the database and bounded buffering.

Close codes (documented for clients):
  4401  the session ended (logout, password changed, expired) — log in again, do not reconnect blindly
  4429  too many open sockets for this user (at most 5) — back off and retry later
Anonymous connections and foreign `Origin`s are refused before the handshake completes (HTTP 403).

Revocation does not depend on the relay: before acting on any client frame (and on every heartbeat) the
consumer checks that its session still exists — at most once per `SESSION_RECHECK_SECONDS` — and closes
with 4401 when it does not. Frames are parsed by the bounded JSON parser (depth, size, NUL).

Frames server → client: event envelopes `{type, eventId, ts, v, payload, requestId?}` (`requestId`: the
X-Request-ID of the request that caused the event; clients ignore envelope fields they do not know); `{"type": "sync", "synced": false}`
when buffered events were dropped (fetch `/api/events?since=<last eventId>`); `{"type": "error", code,
message, fields?, requestId?}`; and whatever registered handlers answer.
Frames client → server: `{"type": "resume", "lastEventId": …}` or `{"type": <registered>, "payload": {…},
"requestId"?: …}` (see apps/events/registry.py).
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections import deque
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.accounts.selectors import session_is_live
from apps.core.errors import DomainError
from apps.core.observability.sockets import (
    socket_closed,
    socket_frame_sent,
    socket_opened,
    socket_push_observed,
)
from apps.core.parsing import JsonRejected, json_parse
from apps.core.validation import opaque_id_valid

from .fanout import CLOSE_SERVICE_RESTART, fanout_hub
from .registry import ws_dispatch
from .selectors import event_list_after, event_position
from .services import CONTROL_PREFIX, SOCKET_CLOSE, event_envelope, session_fingerprint
from .sockets import SLOT_REFRESH, socket_slot_acquire, socket_slot_release

logger = logging.getLogger(__name__)

SEND_QUEUE_SIZE = 100  # replays and answers wait for room beyond this many queued frames
# Live pushes never wait; a socket drops its oldest live frames (with a sync marker) only beyond this many
# queued: twice the relay's claimed batch, so one relay round for one user (its messages arrive back to back,
# before the sender runs) is a burst to send, not a slow reader.
LIVE_QUEUE_SIZE = 1000
REPLAY_PAGE = 200
CLOSE_SESSION_ENDED = 4401
CLOSE_TOO_MANY_SOCKETS = 4429
SYNC_MARKER = {"type": "sync", "synced": False}
SESSION_RECHECK_SECONDS = 1.0
MAX_FRAME_BYTES = 64 * 1024
_SENT_MEMORY = 2048
_LIVE_FRAME = {"type": "event"}  # what the frame metrics see of a pre-encoded live push


@database_sync_to_async
def _position(user_id: str, event_id: str) -> int | None:
    return event_position(user_id=user_id, event_id=event_id)


@database_sync_to_async
def _page(user_id: str, after: int | None) -> list[tuple[int, dict]]:
    return [(row.seq, event_envelope(row)) for row in event_list_after(user_id=user_id, after=after, limit=REPLAY_PAGE)]


@database_sync_to_async
def _session_live(session_key: str, user_id: str) -> bool:
    return session_is_live(session_key=session_key, user_id=user_id)


@database_sync_to_async
def _dispatch(user, type: str, payload):
    return ws_dispatch(user=user, type=type, payload=payload)


class CoachConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        self.user = user
        self.user_id = str(user.pk)
        self.socket_id = uuid.uuid4().hex
        session = self.scope.get("session")
        self.session_key = session.session_key if session and session.session_key else None
        self.session = session_fingerprint(self.session_key) if self.session_key else None
        self.session_checked_at = time.monotonic()
        self.group = f"user.{self.user_id}"
        self.slot_taken = False
        self.tasks: list[asyncio.Task] = []
        if not await socket_slot_acquire(user_id=self.user_id, socket_id=self.socket_id):
            await self.accept()
            await self.send_json({"type": "error", "code": "too_many_sockets",
                                  "message": "Too many open connections for this account."})
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)
            return
        self.slot_taken = True
        socket_opened(scope=self.scope, user_id=self.user_id)
        self.queue: deque = deque()
        self.ready = asyncio.Event()
        self.space = asyncio.Event()
        self.last_seq = 0  # highest position sent (live pushes arrive in position order)
        self.sent: deque = deque(maxlen=_SENT_MEMORY)
        self.sent_set: set[int] = set()
        await self.channel_layer.group_add(self.group, self.channel_name)  # pushes sent straight to the group
        self.hub = fanout_hub()
        await self.hub.join(self.user_id, self)  # the relay's live pushes (apps/events/fanout.py)
        await self.accept()
        self.tasks = [asyncio.create_task(self._sender()), asyncio.create_task(self._heartbeat())]
        query = parse_qs(self.scope.get("query_string", b"").decode())
        last_event_id = (query.get("lastEventId") or [""])[0]
        if last_event_id and not opaque_id_valid(last_event_id):
            await self._error("unknown_event", "lastEventId is not one of your events.")
        elif last_event_id:
            await self._resume(last_event_id, request_id=None)

    async def disconnect(self, code):
        for task in getattr(self, "tasks", []):
            task.cancel()
        if getattr(self, "slot_taken", False):
            socket_closed()
            try:
                if getattr(self, "hub", None) is not None:
                    await self.hub.leave(self.user_id, self)
                await self.channel_layer.group_discard(self.group, self.channel_name)
                await socket_slot_release(user_id=self.user_id, socket_id=self.socket_id)
            except Exception:  # Redis gone: the slot expires on its own
                logger.info("socket cleanup skipped", exc_info=True)

    # --- client → server -----------------------------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        if not await self._session_still_live():
            return
        if isinstance(content, JsonRejected):
            await self._error(content.code, content.message)
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error("invalid", "A message is a JSON object with a string `type`.")
            return
        request_id = content.get("requestId") if isinstance(content.get("requestId"), (str, int)) else None
        if content["type"] == "resume":
            last_event_id = content.get("lastEventId")
            if last_event_id is not None and not isinstance(last_event_id, str):
                await self._error("invalid", "lastEventId must be a string.", request_id=request_id)
                return
            if last_event_id and not opaque_id_valid(last_event_id):
                await self._error("unknown_event", "lastEventId is not one of your events.", request_id=request_id)
                return
            if last_event_id:
                await self._resume(last_event_id, request_id=request_id)
            return
        try:
            answer = await _dispatch(self.user, content["type"], content.get("payload", {}))
        except DomainError as exc:
            await self._error(exc.code, exc.message, fields=exc.fields, request_id=request_id)
            return
        except Exception:
            logger.exception("socket handler for %r failed", content["type"])
            await self._error("server_error", "Something went wrong on our side.", request_id=request_id)
            return
        if answer is not None:
            if request_id is not None:
                answer = {**answer, "requestId": request_id}
            await self._put(answer)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            content = json_parse(text_data, max_bytes=MAX_FRAME_BYTES) if text_data is not None else None
        except JsonRejected as exc:
            content = exc
        await self.receive_json(content)

    async def _session_still_live(self) -> bool:
        """Re-check (at most once a second) that this socket's session exists; close with 4401 if not."""
        if time.monotonic() - self.session_checked_at < SESSION_RECHECK_SECONDS:
            return True
        live = bool(self.session_key) and await _session_live(self.session_key, self.user_id)
        if not live:
            await self.close(code=CLOSE_SESSION_ENDED)
            return False
        self.session_checked_at = time.monotonic()
        return True

    # --- server → client -----------------------------------------------------------------------------------

    def fanout_deliver(self, items: list[list]) -> None:
        """The relay's live pushes for this user, in position order: `[seq, type, ts, frame text]` each (the
        text is the envelope encoded once by the relay, as `send_json` would). Never waits."""
        for seq, kind, ts, text in items:
            if kind.startswith(CONTROL_PREFIX):
                self.tasks.append(asyncio.ensure_future(self._control(json.loads(text))))
                continue
            if seq <= self.last_seq or seq in self.sent_set:
                continue
            self._remember(seq)
            self._push_live(text)
            socket_push_observed(envelope={"ts": ts})

    def fanout_lost(self) -> None:
        """Live pushes may have been missed (the subscription failed): close; the client resumes."""
        self.tasks.append(asyncio.ensure_future(self.close(code=CLOSE_SERVICE_RESTART)))

    async def outbox_batch(self, message):
        """Several relay pushes in one message, in position order."""
        for item in message["items"]:
            await self.outbox_event(item)

    async def outbox_event(self, message):
        """A relay push. Positions at or below the last one sent were already delivered (replay or retry)."""
        seq, envelope = message["seq"], message["event"]
        if envelope["type"].startswith(CONTROL_PREFIX):
            await self._control(envelope)
            return
        if seq <= self.last_seq or seq in self.sent_set:
            return
        self._remember(seq)
        self._push_live(envelope)
        socket_push_observed(envelope=envelope)

    async def _control(self, envelope: dict) -> None:
        if envelope["type"] != SOCKET_CLOSE:
            return
        payload = envelope.get("payload") or {}
        if payload.get("scope") == "user" or (payload.get("scope") == "session" and payload.get("session") == self.session):
            await self.close(code=CLOSE_SESSION_ENDED)

    async def _resume(self, last_event_id: str, *, request_id) -> None:
        """Send the events after `last_event_id` from the database, in order, then live ones follow."""
        try:
            after = await _position(self.user_id, last_event_id)
        except DomainError as exc:
            await self._error(exc.code, "lastEventId is not one of your events.", request_id=request_id)
            return
        if after is None:
            return  # not numbered yet: nothing can follow it
        while True:
            page = await _page(self.user_id, after)
            for seq, envelope in page:
                if seq not in self.sent_set:
                    self._remember(seq)
                    await self._put(envelope)
            if len(page) < REPLAY_PAGE:
                return
            after = page[-1][0]

    def _remember(self, seq: int) -> None:
        if len(self.sent) == self.sent.maxlen:
            self.sent_set.discard(self.sent[0])
        self.sent.append(seq)
        self.sent_set.add(seq)
        self.last_seq = max(self.last_seq, seq)

    def _push_live(self, frame: dict) -> None:
        """Never waits: when LIVE_QUEUE_SIZE frames wait, the oldest goes and a sync marker leads the queue."""
        has_marker = bool(self.queue) and self.queue[0] is SYNC_MARKER
        if len(self.queue) - has_marker >= LIVE_QUEUE_SIZE:
            if has_marker:
                del self.queue[1]
            else:
                self.queue.popleft()
                self.queue.appendleft(SYNC_MARKER)
        self.queue.append(frame)
        self.ready.set()

    async def _put(self, frame: dict) -> None:
        """Waits for room (replays and answers are never dropped)."""
        while len(self.queue) >= SEND_QUEUE_SIZE:
            self.space.clear()
            await self.space.wait()
        self.queue.append(frame)
        self.ready.set()

    async def _error(self, code: str, message: str, *, fields=None, request_id=None) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if fields:
            frame["fields"] = fields
        if request_id is not None:
            frame["requestId"] = request_id
        await self._put(frame)

    async def _sender(self) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            while self.queue:
                frame = self.queue.popleft()
                self.space.set()
                if isinstance(frame, str):
                    await self.send(text_data=frame)
                    socket_frame_sent(frame=_LIVE_FRAME)
                else:
                    await self.send_json(frame)
                    socket_frame_sent(frame=frame)

    async def _heartbeat(self) -> None:
        """Keep the slot and the group membership fresh (this also rejoins after a Redis restart). The first
        beat comes at a random point of the period: sockets opened together (a deploy, a network blip) then
        do not re-check their sessions all in the same instant, which stalled every push of the process."""
        await asyncio.sleep(random.uniform(0.05, 1.0) * SLOT_REFRESH)
        while True:
            try:
                if not await self._session_still_live():
                    return
                await socket_slot_acquire(user_id=self.user_id, socket_id=self.socket_id)
                await self.channel_layer.group_add(self.group, self.channel_name)
            except Exception:
                logger.info("socket heartbeat failed", exc_info=True)
            await asyncio.sleep(SLOT_REFRESH)
