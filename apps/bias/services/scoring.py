"""Scoring: trades → BiasTags with evidence, FIFO positions, a reflection and a `coach.reflect` event.

One pass per user and run: the user's whole trade history is loaded once (history features such as trades
per day, the last exit or a win streak span symbols), candles are fetched once per affected symbol, and the
engine walks the history once, labelling the target trades — the requested ones and every later one (a
late-arriving older trade changes their FIFO lots and streaks). Nothing here grows with history × targets:
a re-score of 100,000 trades is one walk, not one walk per batch.

Two ways to write, both composing every `SCORING_WRITE_CHUNK` targets (a setting) at a time — their tag
rows (evidence already encoded), reflections, fingerprints and event payloads — so memory does not grow
with the number of targets, and no row lock is held while the engine walks or a configured model is asked
for a reflection.

* New trades (none of the targets carries a tag yet) on PostgreSQL with no model configured — every
  import's hand-off: each chunk commits on its own (`_store_in_chunks`) with its tags copied in while the
  engine walks on to them, its reflections and `coach.reflect` events, and its days' label rollups; the
  first chunk also writes the positions and the disposition effect. The relay pushes the first reflections
  while the engine is still walking. Each trade's tags, reflection and event commit together; a run that
  stops midway keeps the chunks it committed, and its next attempt labels the rest.
* Otherwise (a re-score, the trades after a late one, SQLite, a configured model): the chunks are spooled
  to a temporary file (in memory up to `SPOOL_MEMORY`, then on disk), then one write transaction —
  positions, per chunk a few statements (no per-trade query), the disposition days and the daily label
  rollups — so a failure anywhere writes nothing. Tags are unique per trade, label and engine version:
  each chunk's stored tags are compared by digest (engine version, label, confidence, evidence) and only
  those that changed are deleted and written again; the others keep their rows.

Re-scoring a trade replaces the tags that changed, and a reflection whose content did not change is not
announced again — a retried task is harmless.
"""
from __future__ import annotations

import hashlib
import json
import logging
import pickle  # nosec B403
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice
from json.encoder import encode_basestring_ascii as _json_string
from math import isfinite
from sys import intern

import orjson
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from apps.core.bulk import Conflict, JsonText, rows_insert
from apps.core.ids import new_ids
from apps.events.services import event_append_many
from apps.trades.selectors import trade_queryset

from .. import engine
from ..engine.scoring import gc_paused, score_stream
from ..engine_io import json_text
from ..models import BiasTag, DispositionDay, DispositionStat, Reflection, TradePosition
from ..registry import TradesScored, trades_scored_notify
from .payloads import candle_window, ensure_candles, reflect_payload, sparklines, stored_candles
from .reflections import reflection_compose
from .rollups import label_days_rebuild
from .rules import scoring_rules

logger = logging.getLogger(__name__)

# composed chunks waiting for the write transaction stay in memory up to this (~3,000 trades), then go to a
# temporary file: at 32 MB the in-memory buffer and its growth copies added ~50 MB to a 100,000-trade run's
# peak, while writing and reading the file back costs no measurable CPU
SPOOL_MEMORY = 8 * 1024 * 1024
TAG_COLUMNS = ("trade_id", "label", "confidence", "features", "engine_version", "digest")
TAG_ID_BATCH = 2000  # tag ids made at a time while the tags are copied in
# told, inside each transaction that commits labels, the earliest target's time and how many trades it labelled
Labelled = Callable[[datetime, int], None]
HISTORY_FIELDS = ("id", "symbol", "side", "qty", "price", "fee", "fee_asset", "ts")


@dataclass
class History:
    """One user's trades (engine inputs, any order) and which of them a run labels."""

    trades: list[engine.TradeInput] = field(default_factory=list)
    targets: set[str] = field(default_factory=set)
    affected_symbols: set[str] = field(default_factory=set)
    first_target: datetime | None = None
    relabels: bool = False  # some targets may carry tags already (a re-score, trades after a late one)


def history_load(*, user_id: str, trade_ids: list[str] = (), include_later: bool = False,
                 since: datetime | None = None, everything: bool = False) -> History:
    """The user's whole history in one query, and the targets: `trade_ids`; with `include_later` also the
    untagged trades and every trade at or after the earliest of them; with `everything` every trade at or
    after `since` (all of them without it)."""
    history = History()
    wanted = set(trade_ids)
    untagged: set[str] = set()
    if include_later:  # and anything an earlier hand-off left unscored
        untagged = set(trade_queryset().filter(user_id=user_id, bias_tags__isnull=True).values_list("id", flat=True))
        wanted |= untagged
    trade = engine.TradeInput
    rows = trade_queryset().filter(user_id=user_id).order_by("ts", "id").values_list(*HISTORY_FIELDS)
    # one string object per distinct symbol, side and fee asset, not three per trade (~15 MB at 100,000)
    history.trades = [trade(id=i, symbol=intern(sy), side=intern(si), qty=q, price=p, fee=f,
                            fee_asset=intern(fa or ""), ts=t)
                      for i, sy, si, q, p, f, fa, t in rows.iterator(chunk_size=10_000)]
    if everything:
        earliest = since
    else:
        earliest = min((t.ts for t in history.trades if t.id in wanted), default=None)
    for t in history.trades:
        if (t.id in wanted or (include_later and earliest is not None and t.ts >= earliest)
                or (everything and (since is None or t.ts >= since))):
            history.targets.add(t.id)
            history.affected_symbols.add(t.symbol)
            if history.first_target is None or t.ts < history.first_target:
                history.first_target = t.ts
    history.relabels = not untagged.issuperset(history.targets)
    return history


def _confidence(value: float) -> Decimal:
    value = min(max(float(value), 0.0), 1.0)
    return Decimal(str(round(value, 4)))


def _tag_digest(label: str, confidence: str, features: str) -> int:
    """A tag row's content as one signed 64-bit number (the `digest` column): engine version, label,
    confidence and the evidence exactly as written."""
    text = "\x1f".join((engine.ENGINE_VERSION, label, confidence, features))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def _fingerprint(*, tags: list, draft) -> str:
    """sha256 of `json.dumps({"v", "labels": [[label, confidence]…], "text", "tone", "bias"}, sort_keys=True)`,
    written out directly (same text, a third of the cost: 10,000 of them a 10,000-trade run)."""
    labels = sorted((t.label, round(float(t.confidence), 4)) for t in tags)
    if not (all(isinstance(label, str) and isfinite(confidence) for label, confidence in labels)
            and all(isinstance(value, str) for value in (draft.text, draft.tone, draft.bias))):  # let json say
        body = json.dumps({"v": engine.ENGINE_VERSION, "labels": labels, "text": draft.text, "tone": draft.tone,
                           "bias": draft.bias}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()
    body = "".join((
        '{"bias": ', _json_string(draft.bias),
        ', "labels": [', ", ".join(f"[{_json_string(label)}, {confidence!r}]" for label, confidence in labels),
        '], "text": ', _json_string(draft.text), ', "tone": ', _json_string(draft.tone),
        ', "v": ', _json_string(engine.ENGINE_VERSION), "}"))
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Scored:
    """What a scoring walk labelled: how many trades, and the time of the earliest (None when none)."""

    trades: int
    since: datetime | None = None


def bias_score_trades(*, user_id: str, trade_ids: list[str], include_later: bool = True) -> int:
    """Score the given trades of one user. Returns how many trades were tagged.

    New trades (`include_later`): the user's untagged trades join them (with no ids given, those alone)
    and every later trade is re-scored, since they change its history."""
    return bias_score(user_id=user_id, trade_ids=trade_ids, include_later=include_later).trades


def bias_score(*, user_id: str, trade_ids: list[str], include_later: bool = True,
               on_labelled: Labelled | None = None) -> Scored:
    """`bias_score_trades`, also telling the time of the earliest trade labelled. `on_labelled(earliest
    target's time, trades)` runs inside every transaction that commits labels — each chunk of new trades'
    (see `_store_in_chunks`), or the run's one — so a caller counts what was committed even when a later
    chunk fails."""
    if not (trade_ids or include_later):
        return Scored(0)
    return _score_user(user_id=user_id, chunk=settings.SCORING_WRITE_CHUNK, on_labelled=on_labelled,
                       load=lambda: history_load(user_id=user_id, trade_ids=trade_ids, include_later=include_later))


def bias_rescore_user(*, user_id: str, since: datetime | None = None, chunk: int | None = None) -> int:
    """Re-label every trade of the user at or after `since` (all of them without it) in one walk over the
    history. Returns how many trades were tagged."""
    return _score_user(user_id=user_id, chunk=chunk or settings.SCORING_WRITE_CHUNK, notify=True,
                       load=lambda: history_load(user_id=user_id, since=since, everything=True)).trades


def _score_user(*, user_id: str, load, chunk: int, notify: bool = False,
                on_labelled: Labelled | None = None) -> Scored:
    """Label the loaded targets in one walk; with `notify`, the apps listening for scored trades (analytics,
    gate, journal) run in the same transaction (a scoring run notifies them itself when it finishes)."""
    user = get_user_model().objects.filter(id=user_id, is_active=True).first()
    if user is None:
        return Scored(0)
    history = load()
    if not history.targets:
        return Scored(0)
    by_symbol: dict[str, tuple[datetime, datetime]] = {}
    for t in history.trades:
        first, last = by_symbol.get(t.symbol, (t.ts, t.ts))
        by_symbol[t.symbol] = (min(first, t.ts), max(last, t.ts))

    # Candles: fetch what is missing for the symbols being scored (indicator warm-up before the first
    # trade); other symbols use what is stored (their closes price paper gains/losses for the disposition
    # effect).
    ensure_candles([(symbol, *candle_window(first, last)) for symbol, (first, last) in by_symbol.items()
                    if symbol in history.affected_symbols])
    start, end = candle_window(min(f for f, _ in by_symbol.values()), max(la for _, la in by_symbol.values()))
    frames: dict[str, pd.DataFrame] = {symbol: stored_candles(symbol=symbol, start=start, end=end)
                                       for symbol in by_symbol}
    rules = scoring_rules(user_id=user.id)
    # no collector passes over the run's large heap (see gc_paused): what is let go is freed as it goes
    with gc_paused():
        stream = score_stream(trades=history.trades, candles=frames, rules=rules, target_ids=history.targets)
        # the targets are every trade from the first one on (always, except for a few given ids): each
        # chunk's reflections are looked up by its time range
        contiguous = len(history.targets) == sum(1 for t in history.trades if t.ts >= history.first_target)
        if connection.vendor == "postgresql" and not history.relabels and not settings.LLM_BASE_URL and not notify:
            scored = _store_in_chunks(user=user, history=history, stream=stream, frames=frames, chunk=chunk,
                                      by_symbol=by_symbol, contiguous=contiguous, on_labelled=on_labelled)
            if scored != len(history.targets):
                raise RuntimeError(f"The engine returned no label for {len(history.targets) - scored} trade(s); "
                                   "they stay unlabelled.")
            return Scored(scored, history.first_target)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:
            scored = _compose(user=user, stream=stream, frames=frames, chunk=chunk, spool=spool)
            if scored != len(history.targets):
                raise RuntimeError(f"The engine returned no label for {len(history.targets) - scored} trade(s); "
                                   "nothing was written.")
            spool.seek(0)
            with transaction.atomic():
                _positions_store(user=user, history=history, positions=stream.positions)
                while True:
                    try:
                        composed = pickle.load(spool)  # nosec B301
                    except EOFError:
                        break
                    _composed_store(user=user, composed=composed, contiguous=contiguous, relabels=history.relabels)
                _disposition_store(user=user, by_symbol=by_symbol, disposition=stream.disposition)
                # the engine's state, the candles and the history are not needed any more: let them go before
                # the listeners read what was written (the read model's refresh of a 100,000-trade re-score
                # would otherwise come on top of the engine's ~250 MB)
                del stream, frames
                history.trades.clear()
                label_days_rebuild(user_id=user.id, since=history.first_target)
                if on_labelled is not None:
                    on_labelled(history.first_target, scored)
                if notify:
                    trades_scored_notify(TradesScored(user_id=user.id, trades_scored=scored,
                                                      since=history.first_target))
    return Scored(scored, history.first_target)


def _store_in_chunks(*, user, history: History, stream, frames: dict, chunk: int, by_symbol: dict, contiguous: bool,
                     on_labelled: Labelled | None) -> int:
    """New trades (none of the targets carries a tag yet) on PostgreSQL with no model configured: every `chunk`
    targets commit on their own — their tags (copied in while the engine walks on to them, so the server
    stores them on its own core meanwhile), their reflections and `coach.reflect` events, and the label
    rollups of their days — so the relay pushes the first reflections while the engine is still walking, and
    no transaction holds a row lock for the whole walk. The first chunk's transaction also writes the
    positions and the disposition effect, which the engine made for the whole history before its walk.

    Each trade's tags, reflection and event commit together. A run that stops midway keeps the chunks it
    committed: they are the earliest targets (the walk is in time order), so the next attempt labels the
    user's untagged trades and every later one; `on_labelled(first target's time, trades in the chunk)`,
    called inside each chunk's transaction, lets the caller keep count of what the attempts committed and
    where the first of them began. -> targets labelled."""
    scored = 0
    while scored < len(history.targets):
        with transaction.atomic():
            if not scored:
                _positions_store(user=user, history=history, positions=stream.positions)
                _disposition_store(user=user, by_symbol=by_symbol, disposition=stream.disposition)
            with _tags_copy() as tag_sink:
                batch = list(islice(stream.tags, chunk))
                composed = _compose_batch(user=user, batch=batch, frames=frames, tag_sink=tag_sink) if batch else None
            if composed is None:
                break
            _composed_store(user=user, composed=composed, contiguous=contiguous, relabels=False)
            label_days_rebuild(user_id=user.id, since=composed[0], until=composed[1])
            if on_labelled is not None:
                on_labelled(history.first_target, len(batch))
            scored += len(batch)
            del batch, composed
    return scored


@contextmanager
def _tags_copy():
    """Inside the write transaction: one `COPY` into the tag table, open while the block runs; yields
    `write(trade_id, label, confidence, features, digest)` (confidence and encoded evidence as text)."""
    table, now, version = BiasTag._meta.db_table, timezone.now(), engine.ENGINE_VERSION
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.copy(
            f"COPY {table} (id, created_at, engine_version, trade_id, label, confidence, features, digest) FROM STDIN"
    ) as copy:
        ids: list[str] = []

        def write(trade_id: str, label: str, confidence: str, features: str, digest: int) -> None:
            if not ids:
                ids.extend(new_ids(TAG_ID_BATCH))
            copy.write_row((ids.pop(), now, version, trade_id, label, confidence, features, digest))

        yield write


def _positions_store(*, user, history: History, positions: dict) -> None:
    """FIFO outcomes of every trade of the affected symbols (a late trade moves later lots), as one upsert
    that rewrites only the rows whose outcome changed (a re-score mostly finds them as they were) — or, when
    the user has none yet (a first import), copied straight in (the upsert's staging and conflict checks
    took ~8 s of 100,000 new rows on a busy server)."""
    rows = ((t.id, user.id, t.symbol, info.realized_pnl, info.held_hours, info.matched_qty, info.unmatched_qty)
            for t in history.trades
            if t.symbol in history.affected_symbols and (info := positions.get(t.id)) is not None)
    conflict = (Conflict(("trade",), ("realized_pnl", "held_hours", "matched_qty", "unmatched_qty", "symbol"),
                         changed_only=True)
                if TradePosition.objects.filter(user_id=user.id).exists() else None)
    while batch := list(islice(rows, 20_000)):
        rows_insert(TradePosition, ("trade_id", "user_id", "symbol", "realized_pnl", "held_hours", "matched_qty",
                                    "unmatched_qty"), batch, conflict=conflict)


def _compose(*, user, stream, frames: dict, chunk: int, spool) -> int:
    """Every `chunk` labelled targets composed (see `_compose_batch`) and pickled to `spool` as one chunk.
    -> targets."""
    composed = 0
    while batch := list(islice(stream.tags, chunk)):
        pickle.dump(_compose_batch(user=user, batch=batch, frames=frames), spool,
                    protocol=pickle.HIGHEST_PROTOCOL)
        composed += len(batch)
        del batch  # before the next chunk is made, not once it is: one chunk's tags held at a time
    return composed


def _compose_batch(*, user, batch: list, frames: dict, tag_sink=None) -> tuple:
    """Labelled targets `(trade, tags)` → `(first ts, last ts, rows)`: per trade its tag rows (evidence
    encoded), reflection, fingerprint and `coach.reflect` payload — or, with `tag_sink(trade_id, label,
    confidence, features, digest)`, the tags handed to it as they come and left out of the rows."""
    if not all(tags for _, tags in batch):
        raise RuntimeError("The engine returned no label for a trade; its chunk was not written.")
    lines: dict[str, list[float]] = {}
    per_symbol: dict[str, list[engine.TradeInput]] = {}
    for trade, _ in batch:
        per_symbol.setdefault(trade.symbol, []).append(trade)
    for symbol, trades in per_symbol.items():
        lines.update(zip((t.id for t in trades), sparklines(frames.get(symbol), [t.ts for t in trades]),
                         strict=True))
    rows = []
    for trade, tags in batch:
        draft = reflection_compose(tags=tags, tone=user.coach_tone)
        payload = reflect_payload(trade_id=trade.id, tags=tags, draft=draft, sparkline=lines[trade.id],
                                  trade={"symbol": trade.symbol, "side": trade.side, "ts": trade.ts})
        # plain strings only: they pickle several times faster than Decimals and str subclasses
        labelled = []
        for tag in tags:
            label, confidence, features = tag.label, str(_confidence(tag.confidence)), str(json_text(tag.features))
            labelled.append((label, confidence, features, _tag_digest(label, confidence, features)))
        if tag_sink is not None:
            for tag in labelled:
                tag_sink(trade.id, *tag)
            labelled = []
        rows.append((trade.id, labelled,
                     (draft.text, draft.tone, draft.bias, draft.source), _fingerprint(tags=tags, draft=draft),
                     _payload_text(payload)))
    return batch[0][0].ts, batch[-1][0].ts, rows


def _payload_text(payload: dict) -> str:
    try:
        return orjson.dumps(payload).decode()
    except TypeError:  # something the fast encoder refuses: the column's own encoding decides, as before
        return json.dumps(payload, allow_nan=False)


def _composed_store(*, user, composed: tuple, contiguous: bool, relabels: bool) -> None:
    """One composed chunk: its tags in (when some may be stored already, only those that changed), and a
    reflection with its `coach.reflect` event for each trade whose reflection changed — a handful of
    statements, whatever the chunk's size."""
    first, last, rows = composed
    ids = [trade_id for trade_id, *_ in rows]
    # none when they were copied in as the engine walked
    tags = [(trade_id, *tag) for trade_id, labelled, *_ in rows for tag in labelled]
    if relabels:
        tags = _tags_changed(trade_ids=ids, tags=tags)
    rows_insert(BiasTag, TAG_COLUMNS, [
        (trade_id, label, Decimal(confidence), JsonText(features), engine.ENGINE_VERSION, digest)
        for trade_id, label, confidence, features, digest in tags
    ])
    # by the trades' (user, ts) index: with the reflection's own user index the planner may AND in every
    # reflection of the user for each trade
    earlier = (Reflection.objects.filter(trade__user_id=user.id, trade__ts__gte=first, trade__ts__lte=last)
               if contiguous else Reflection.objects.filter(trade_id__in=ids))
    latest: dict[str, str] = {}
    for trade_id, fingerprint in earlier.order_by("trade_id", "-created_at").values_list("trade_id", "fingerprint"):
        latest.setdefault(trade_id, fingerprint)
    announced = [row for row in rows if latest.get(row[0]) != row[3]]
    event_ids = event_append_many(user=user, type="coach.reflect", payloads=[JsonText(row[4]) for row in announced])
    rows_insert(Reflection, ("user_id", "trade_id", "text", "tone", "bias", "source", "engine_version",
                             "fingerprint", "event_id"), [
        (user.id, trade_id, *draft, engine.ENGINE_VERSION, fingerprint, event_id)
        for (trade_id, _, draft, fingerprint, _), event_id in zip(announced, event_ids, strict=True)
    ])


def _tags_changed(*, trade_ids: list[str], tags: list[tuple]) -> list[tuple]:
    """Of these trades' new tags `(trade_id, label, confidence, features, digest)`, those to write. A stored
    tag with the same engine version, label and digest stays as it is (its id and time too); every other
    stored tag of the trades goes (a re-score mostly finds its tags as they were: deleting and writing them
    all again cost the server more than the rest of the run's writes)."""
    new = {(trade_id, label): digest for trade_id, label, _, _, digest in tags}
    kept: set[tuple[str, str]] = set()
    stale: list[str] = []
    for tag_id, trade_id, label, version, digest in _tags_stored(trade_ids):
        if version == engine.ENGINE_VERSION and digest is not None and new.get((trade_id, label)) == digest:
            kept.add((trade_id, label))
        else:
            stale.append(tag_id)
    _tags_delete(stale)
    return [tag for tag in tags if (tag[0], tag[1]) not in kept]


def _tags_stored(trade_ids: list[str]) -> list[tuple]:
    """(id, trade_id, label, engine_version, digest) of these trades' tags: on PostgreSQL one statement with
    the ids as one array parameter (by the unique constraint's leading trade column), else `IN` lists within
    SQLite's limit of parameters."""
    if not trade_ids:
        return []
    columns = ("id", "trade_id", "label", "engine_version", "digest")
    if connection.vendor != "postgresql":
        return [row for start in range(0, len(trade_ids), 500)
                for row in BiasTag.objects.filter(trade_id__in=trade_ids[start:start + 500]).values_list(*columns)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {BiasTag._meta.db_table} WHERE trade_id = ANY(%s)",
                       [trade_ids])
        return cursor.fetchall()


def _tags_delete(tag_ids: list[str]) -> None:
    """These tags, in one statement on PostgreSQL (the ids as one array parameter)."""
    if not tag_ids:
        return
    if connection.vendor != "postgresql":
        for start in range(0, len(tag_ids), 500):
            BiasTag.objects.filter(id__in=tag_ids[start:start + 500]).delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {BiasTag._meta.db_table} WHERE id = ANY(%s)", [tag_ids])


def _disposition_store(*, user, by_symbol: dict, disposition: dict) -> None:
    """Odean's disposition effect: the counts of every sale day (summed over any period by
    `bias_summary`) and the whole history's figure (PGR − PLR with the counts behind it)."""
    first = min(f for f, _ in by_symbol.values())
    last = max(la for _, la in by_symbol.values())

    def ratio(value):
        return None if value is None else Decimal(str(round(float(value), 4)))

    DispositionDay.objects.filter(user=user).delete()
    rows_insert(DispositionDay, ("user_id", "day", "realized_gains", "realized_losses", "paper_gains", "paper_losses",
                                 "paper_unpriced", "sales_unknown", "counted", "engine_version"), [
        (user.id, row["date"], row["RG"], row["RL"], row["PG"], row["PL"], row["paper_unpriced"],
         row["sales_unknown"], row["counted"], engine.ENGINE_VERSION)
        for row in disposition.get("days") or ()
    ])
    DispositionStat.objects.filter(user=user).delete()
    DispositionStat.objects.create(
        user=user, period_start=first.date(), period_end=last.date(),
        realized_gains=int(disposition.get("RG") or 0), realized_losses=int(disposition.get("RL") or 0),
        paper_gains=int(disposition.get("PG") or 0), paper_losses=int(disposition.get("PL") or 0),
        pgr=ratio(disposition.get("PGR")), plr=ratio(disposition.get("PLR")),
        effect=ratio(disposition.get("PGR_minus_PLR")), engine_version=engine.ENGINE_VERSION,
    )
