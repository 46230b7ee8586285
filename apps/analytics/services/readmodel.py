"""The analytics read model: one `TradeFact` row per trade (and a `TradeFactLabel` per label it carries), kept
in step with what scoring wrote, so every figure is one grouped query over the user's rows.

`trade_facts_refresh(user_id=…, since=…)` runs in the transaction that finishes a scoring run (the
`on_trades_scored` hook, see `apps.analytics.hooks`), so the rows commit with the labels and positions they
summarise, or not at all. It reads the user's trades with their FIFO outcome (`apps.bias.selectors`) and their
labels, fingerprints each trade's inputs, and rewrites only the rows whose fingerprint changed (a new trade, a
re-scored one, a later exit whose lots changed); a deleted trade takes its row with it (foreign key). Running
it twice writes nothing the second time.

**Incremental.** A scoring run names the time of the earliest trade it labelled (`since`): the trades before
it kept their labels and outcomes, except the buys still open then, which later sales may have matched. So
the refresh reads only the trades from `since` on and those open buys. The open lots are found without
replaying the history: the quantity bought minus the quantity the sales matched before `since` (sums kept
in the daily rollups, plus the rows of that day) is what is still open, held by the newest buys, which are
read newest first until they cover it. The day rollups are summed again from `since`'s day on, and the
longest streaks are folded from one `StreakDay` row per day and quote. Without `since` (or with `full`)
every trade is read. `tests/test_read_model.py` holds the incremental result equal to a full rebuild over
several scoring runs on random histories.

What a row adds to the stored trade and position, computed once here rather than on every request:

* the fee valued in the quote currency (a base-asset fee at the trade's price; a third asset kept apart);
* the exit's UTC day, hour and weekday;
* MAE / MFE from the stored hourly candles, **per matched lot**: the exit's lots are replayed in the bias
  engine's FIFO order (time, buys before sells at the same time, then id), each lot held from its own entry
  hour. Between two entries the set of lots held is fixed, so the unrealised P/L over that stretch is
  Q·price − C (Q the quantity held, C its cost with fees); MAE is the lowest of Q·low − C over the bars of
  every stretch, MFE the highest of Q·high − C (0 at worst / best). With one lot this is qty × (low − basis).
  The cost C of all matched lots is the exit's proceeds (net of its fee) minus its realised P/L, so the
  excursions agree with the P/L the engine reports; each lot's share is its price plus the fees per unit;
* the quote → USD and EUR rates at the exit (the close of the last stored hourly bar of QUOTE-CUR, or
  the inverse of CUR-QUOTE, that had closed by then, at most two hours before).

When any row changed (or a trade was deleted), the user's `DailyRollup`, `HourRollup`, `LabelRollup` and
`StreakDay` rows of the changed days, and the `QuoteStreak`s, are summed again from the rows (one grouped
query each).

Candles stored after a row was computed (a later `backfill_candles`) are picked up by
`trade_facts_refresh(user_id=…, full=True)` (`manage.py analytics_refresh --full`).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, localcontext
from itertools import groupby, islice

import numpy as np
import pandas as pd
from django.db import connection, connections, transaction
from django.db.models import Count, DecimalField, F, FloatField, Max, Min, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, Sign

from apps.bias.selectors import trade_filtered_queryset
from apps.brokers.selectors import candle_frame, candle_queryset
from apps.core.bulk import Conflict, rows_insert
from apps.core.jobs import advisory_lock

from ..models import DailyRollup, HourRollup, LabelRollup, QuoteStreak, StreakDay, TradeFact, TradeFactLabel
from ..streaks import day_runs, fold_days

VERSION = "1"  # bump when what a row holds changes: every row is then rewritten at the next refresh
GRANULARITY = "1h"
HOUR = timedelta(hours=1)
RATE_TOLERANCE = pd.Timedelta(hours=2)  # a conversion rate must come from a bar this close to the exit
REPORTING_CURRENCIES = ("USD", "EUR")
SOURCE = ("id", "ts", "symbol", "side", "qty", "price", "fee", "fee_asset", "quote_asset", "broker",
          "position__realized_pnl", "position__held_hours", "position__matched_qty")
COLUMNS = ("trade_id", "user_id", "ts", "day", "hour", "weekday", "symbol", "quote", "broker", "side", "qty", "price", "fee",
           "fee_other_asset", "fee_other", "realized_pnl", "held_hours", "matched_qty", "entry_ts", "mae", "mfe",
           "exit_efficiency", "usd_rate", "usd_pair", "eur_rate", "eur_pair", "source_hash")
CHUNK = 5000
OPEN_LOTS_PAGE = 16
BUY_SIDES = ("BUY", "buy", "Buy")
MONEY = DecimalField(max_digits=40, decimal_places=18)


@dataclass(frozen=True)
class RefreshResult:
    trades: int
    written: int


@dataclass(slots=True)  # ~100,000 of them in a whole-history refresh: no per-object __dict__
class _Source:
    id: str
    ts: datetime
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    fee: Decimal | None
    fee_asset: str
    quote_asset: str
    broker: str
    pnl: Decimal | None
    held_hours: float | None
    matched: Decimal | None
    labels: tuple[str, ...] = ()

    @property
    def quote(self) -> str:
        """The stored quote currency, else the part of the symbol after its first '-'."""
        if self.quote_asset:
            return self.quote_asset
        return self.symbol.split("-", 1)[1] if "-" in self.symbol else self.symbol

    def fingerprint(self) -> int:
        text = "|".join(str(v) for v in (VERSION, self.id, self.ts.isoformat(), self.symbol, self.side, self.qty,
                                          self.price, self.fee, self.fee_asset, self.quote_asset, self.broker,
                                          self.pnl, self.held_hours, self.matched, ",".join(self.labels)))
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def trade_facts_refresh(*, user_id: str, full: bool = False, since: datetime | None = None) -> RefreshResult:
    """Bring the user's read-model rows in step with their trades, labels and positions (see the module
    docstring). `since`: only the trades at or after it changed (a scoring run's earliest labelled trade; the
    trades before it kept their labels and positions): only those are read, with the lots the FIFO book
    still held at that time, and only the days from then on are summed again. `full` rewrites every row
    (e.g. after candles were backfilled). Idempotent."""
    if full:
        since = None
    with transaction.atomic():
        advisory_lock(f"analytics:facts:{user_id}")
        sources = replayed = _sources(user_id=user_id, since=since)
        books: dict[str, deque] = {}
        if since is not None:  # the buys still open then: later sales match them, so their rows change too
            books, open_ids = _open_lots(user_id=user_id, before=since,
                                         symbols={s.symbol for s in sources if s.side.strip().upper() == "SELL"})
            sources = _sources(user_id=user_id, ids=open_ids) + replayed
        stored = _stored_hashes(user_id=user_id, ids=[s.id for s in sources] if since is not None else None)
        hashes = {s.id: s.fingerprint() for s in sources}
        changed = [s for s in sources if full or stored.get(s.id) != hashes[s.id]]
        if not changed:
            if not _rollups_complete(user_id=user_id):  # a trade was deleted (its row went with it)
                rollups_rebuild(user_id=user_id)
            return RefreshResult(trades=len(sources), written=0)
        _labels_delete(fact_ids=[s.id for s in changed if s.id in stored])
        # written CHUNK rows at a time as they are made: the rows of a whole history are not held at once
        rows = _rows(user_id=user_id, sources=replayed, changed=changed, hashes=hashes, books=books)
        written = 0
        while batch := list(islice(rows, CHUNK)):
            rows_insert(TradeFact, COLUMNS, [row for row in batch if row[0] not in stored])  # new trades: plain COPY
            rows_insert(TradeFact, COLUMNS, [row for row in batch if row[0] in stored],
                        conflict=Conflict(("trade",), COLUMNS[1:]))
            written += len(batch)
        labels = ((s.id, user_id, label) for s in changed for label in s.labels)
        while batch := list(islice(labels, CHUNK)):
            rows_insert(TradeFactLabel, ("fact_id", "user_id", "label"), batch)
        # the day sums change from `since` on (a buy still open before it changed only its matched quantity)
        first_day = since.astimezone(UTC).date() if since is not None else None
        rollups_rebuild(user_id=user_id, since_day=first_day)
        if first_day is not None and not _rollups_complete(user_id=user_id):  # and a trade was deleted
            rollups_rebuild(user_id=user_id)
        return RefreshResult(trades=len(sources), written=written)


def _stored_hashes(*, user_id: str, ids: list[str] | None) -> dict[str, int]:
    """trade id → stored fingerprint: of these trades (by primary key, the ids as one array parameter: an
    `IN` list of thousands of placeholders costs more to build and parse than the lookup), or of all the
    user's."""
    if ids is None:
        return dict(TradeFact.objects.filter(user_id=user_id).values_list("trade_id", "source_hash"))
    if not ids:
        return {}
    if connection.vendor != "postgresql":  # no array parameters: IN lists within SQLite's limit of parameters
        stored: dict[str, int] = {}
        for start in range(0, len(ids), CHUNK):
            stored.update(TradeFact.objects.filter(trade_id__in=ids[start:start + CHUNK])
                          .values_list("trade_id", "source_hash"))
        return stored
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT trade_id, source_hash FROM {TradeFact._meta.db_table} WHERE trade_id = ANY(%s)",
                       [ids])
        return dict(cursor.fetchall())


def _labels_delete(*, fact_ids: list[str]) -> None:
    """The label rows of these facts, in one statement (the ids as one array parameter)."""
    if not fact_ids:
        return
    if connection.vendor != "postgresql":
        for start in range(0, len(fact_ids), CHUNK):
            TradeFactLabel.objects.filter(fact_id__in=fact_ids[start:start + CHUNK]).delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TradeFactLabel._meta.db_table} WHERE fact_id = ANY(%s)", [fact_ids])


def rollups_keep_complete(*, user_id: str) -> None:
    """Sum the days again when a deleted trade's row left them (see `_rollups_complete`)."""
    with transaction.atomic():
        advisory_lock(f"analytics:facts:{user_id}")
        if not _rollups_complete(user_id=user_id):
            rollups_rebuild(user_id=user_id)


def _rollups_complete(*, user_id: str) -> bool:
    """Whether the daily rollups count every row of the read model (a deleted trade takes its row, not its
    day's sums): an index-only count and a sum over the day rows."""
    summed = DailyRollup.objects.filter(user_id=user_id).aggregate(trades=Sum("trades"))["trades"] or 0
    return summed == TradeFact.objects.filter(user_id=user_id).count()


ROLLUP_KEY = ("day", "quote", "symbol", "broker", "side")
LABEL_KEY = ("day", "label", "quote", "symbol", "broker", "side")


def rollups_rebuild(*, user_id: str, since_day: date | None = None) -> None:
    """The user's `DailyRollup`, `HourRollup` and `LabelRollup` rows of the days from `since_day` on (every
    day without it) and the longest streaks, from the read model (one grouped query each)."""
    facts = TradeFact.objects.filter(user_id=user_id)
    # by the facts' user alone: their (user, ts) index bounds the days, and each fact's labels come by the
    # label's fact key. With the label's own user as well, a planner without statistics yet (a first import)
    # ANDs in every label row of the user for each fact (3.7 s for 4,000 exits, against 0.1 s)
    labels = TradeFactLabel.objects.filter(fact__user_id=user_id, fact__realized_pnl__isnull=False)
    tables = (DailyRollup, HourRollup, LabelRollup)
    if since_day is not None:
        facts = facts.filter(ts__gte=datetime.combine(since_day, time(0), tzinfo=UTC))
        labels = labels.filter(fact__ts__gte=datetime.combine(since_day, time(0), tzinfo=UTC))
        for model in tables:
            model.objects.filter(user_id=user_id, day__gte=since_day).delete()
    else:
        for model in tables:
            model.objects.filter(user_id=user_id).delete()
    closed, win, loss = Q(realized_pnl__isnull=False), Q(realized_pnl__gt=0), Q(realized_pnl__lt=0)
    pnl = Cast("realized_pnl", FloatField())
    converted = {f"{c}_{name}": value for c in ("usd", "eur") for name, value in (
        ("converted", Sum(pnl * F(f"{c}_rate"), filter=closed)),
        ("without", Count("pk", filter=closed & Q(**{f"{c}_rate__isnull": True}))),
        ("pair", Max(f"{c}_pair", filter=closed)))}
    rows = list(facts.values(*ROLLUP_KEY).order_by().annotate(
        trades=Count("pk"), fees=Sum("fee"), closed=Count("pk", filter=closed), wins=Count("pk", filter=win),
        losses=Count("pk", filter=loss), pnl=Sum("realized_pnl"), gross_win=Sum("realized_pnl", filter=win),
        gross_loss=Sum("realized_pnl", filter=loss), largest_win=Max("realized_pnl", filter=win),
        largest_loss=Min("realized_pnl", filter=loss), hold_win_hours=Sum("held_hours", filter=win),
        hold_win_count=Count("held_hours", filter=win), hold_loss_hours=Sum("held_hours", filter=loss),
        hold_loss_count=Count("held_hours", filter=loss), pnl_float=Sum(pnl),
        matched=Coalesce(Sum("matched_qty", filter=closed), Value(Decimal(0)), output_field=MONEY),
        bought=Coalesce(Sum("qty", filter=Q(side__in=BUY_SIDES)), Value(Decimal(0)), output_field=MONEY),  # sales only: what a buy matched changes with later sales
        with_excursion=Count("mfe", filter=closed), efficiency_sum=Sum("exit_efficiency", filter=closed),
        efficiency_count=Count("exit_efficiency", filter=closed), **converted))
    if rows:
        columns = tuple(rows[0])
        rows_insert(DailyRollup, ("user_id", *columns),
                    [(user_id, *(row[c] if row[c] is not None or not c.endswith("_pair") else "" for c in columns))
                     for row in rows])
    rows_insert(HourRollup, ("user_id", "day", "hour", "quote", "closed", "wins", "pnl"), [
        (user_id, *row) for row in facts.filter(closed).values("day", "hour", "quote").order_by()
        .annotate(closed=Count("pk"), wins=Count("pk", filter=win), pnl=Sum("realized_pnl"))
        .values_list("day", "hour", "quote", "closed", "wins", "pnl")])
    rows_insert(LabelRollup, ("user_id", *LABEL_KEY, "closed", "wins", "pnl"), [
        (user_id, *row) for row in labels.values(
            day=F("fact__day"), label_=F("label"), quote=F("fact__quote"), symbol=F("fact__symbol"),
            broker=F("fact__broker"), side=F("fact__side")).order_by()
        .annotate(closed=Count("fact_id"), wins=Count("fact_id", filter=Q(fact__realized_pnl__gt=0)),
                  pnl=Sum("fact__realized_pnl"))
        .values_list("day", "label_", "quote", "symbol", "broker", "side", "closed", "wins", "pnl")])
    _streaks_rebuild(user_id=user_id, exits=facts.filter(closed), since_day=since_day)


def _streaks_rebuild(*, user_id: str, exits, since_day: date | None) -> None:
    """`StreakDay` rows of the days from `since_day` on, from these exits (the outcomes of those days, in
    exit order), then `QuoteStreak` folded from every day row (a few hundred rows, not every exit)."""
    StreakDay.objects.filter(user_id=user_id, **({"day__gte": since_day} if since_day else {})).delete()
    outcomes = exits.annotate(sign=Sign("realized_pnl")).order_by("quote", "ts", "trade_id").values_list(
        "quote", "day", "sign")
    rows = [(user_id, quote, day, *day_runs([int(sign) for _, _, sign in group]))
            for (quote, day), group in groupby(outcomes, key=lambda row: row[:2])]
    rows_insert(StreakDay, ("user_id", "quote", "day", "exits", "first_sign", "first_run", "last_sign", "last_run",
                            "longest_win", "longest_loss"), rows)
    days = StreakDay.objects.filter(user_id=user_id).order_by("quote", "day").values_list(
        "quote", "exits", "first_sign", "first_run", "last_sign", "last_run", "longest_win", "longest_loss")
    QuoteStreak.objects.filter(user_id=user_id).delete()
    rows_insert(QuoteStreak, ("user_id", "quote", "longest_win", "longest_loss"), [
        (user_id, quote, *fold_days(row[1:] for row in group))
        for quote, group in groupby(days, key=lambda row: row[0])])


def _sources(*, user_id: str, since: datetime | None = None, ids: list[str] | None = None) -> list[_Source]:
    """The user's trades (those at or after `since`; or these) with their FIFO outcome and labels: two
    queries."""
    if ids is not None and not ids:
        return []
    trades = trade_filtered_queryset(user=user_id, since=since)
    if ids is not None:
        trades = trades.filter(id__in=ids)
    # the rows taken as they come, and one object per distinct text and label set rather than one per row:
    # at 100,000 trades the query sets' rows, a set per trade and the rows' own strings held ~80 MB more
    labels: dict[str, list[str]] = defaultdict(list)
    for trade_id, label in (trades.filter(bias_tags__isnull=False).values_list("id", "bias_tags__label").order_by()
                            .iterator(chunk_size=CHUNK)):  # a cursor of its own: their order does not matter
        labels[trade_id].append(label)
    label_sets: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
    shared_text = {}
    sources = []
    for (trade_id, ts, symbol, side, qty, price, fee, fee_asset, quote_asset, broker, pnl, held_hours,
         matched) in _rows_unheld(trades.values_list(*SOURCE).order_by()):
        found = tuple(sorted(set(labels.pop(trade_id, ()))))
        sources.append(_Source(
            trade_id, ts, shared_text.setdefault(symbol, symbol), shared_text.setdefault(side, side), qty, price, fee,
            shared_text.setdefault(fee_asset, fee_asset), shared_text.setdefault(quote_asset, quote_asset),
            shared_text.setdefault(broker, broker), pnl, held_hours, matched,
            labels=label_sets.setdefault(found, found)))
    return sources


def _rows_unheld(queryset) -> Iterator[tuple]:
    """The rows of a `values_list` query set, converted as it would, taken from the cursor a chunk at a time
    instead of all made into tuples first; the same statement, so the rows come in the same order."""
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        yield from compiler.results_iter(results=iter(lambda: cursor.fetchmany(CHUNK), []), tuple_expected=True)


def _open_lots(*, user_id: str, symbols: set[str], before: datetime) -> tuple[dict[str, deque], list[str]]:
    """symbol → the lots its FIFO book held just before `before`, oldest first ([entry, open qty, price]),
    and the ids of their buys, without replaying the history. The sales before then took the sum of their
    matched quantity (the engine's positions, which take exactly as `_lots` does) from the buys in FIFO
    order, so what is still open is the quantity bought minus that, held by the newest buys: both sums come
    from the daily rollups (and the rows of the day `before` falls in), then the buys are read newest first
    until they cover it — the oldest of them only in part."""
    if not symbols:
        return {}, []
    midnight = datetime.combine(before.astimezone(UTC).date(), time(0), tzinfo=UTC)
    still_open: dict[str, Decimal] = defaultdict(Decimal)
    sums = ((DailyRollup.objects.filter(user_id=user_id, symbol__in=symbols, day__lt=midnight.date()),
             "bought", "matched"),
            (TradeFact.objects.filter(user_id=user_id, symbol__in=symbols, ts__gte=midnight, ts__lt=before),
             "qty", "matched_qty"))
    for rows, bought, matched in sums:
        for symbol, buys, sales in (rows.values("symbol").order_by().annotate(
                buys=Sum(bought, filter=Q(side__in=BUY_SIDES)), sales=Sum(matched, filter=~Q(side__in=BUY_SIDES)))
                .values_list("symbol", "buys", "sales")):
            still_open[symbol] += (buys or 0) - (sales or 0)
    books: dict[str, deque] = {symbol: deque() for symbol in symbols}
    ids: list[str] = []
    for symbol in sorted(symbols):
        left = still_open[symbol]
        newest = (TradeFact.objects.filter(user_id=user_id, symbol=symbol, side__in=BUY_SIDES, ts__lt=before)
                  .order_by("-ts", "-trade_id").values_list("trade_id", "ts", "qty", "price"))
        size = OPEN_LOTS_PAGE
        while left > 0:
            page = list(newest[:size])
            for buy_id, ts, qty, price in page:
                books[symbol].appendleft([ts, min(qty, left), price])
                ids.append(buy_id)
                left -= qty
                if left <= 0:
                    break
            if len(page) < size:
                break
            newest = newest.filter(Q(ts__lt=page[-1][1]) | Q(ts=page[-1][1], trade_id__lt=page[-1][0]))
            size = min(size * 4, 10_000)  # pages grow: a long-open book is read in a few queries
    return books, ids


def _fee(source: _Source) -> tuple[Decimal | None, str, Decimal | None]:
    """(fee in the quote currency, third asset, its amount): a quote fee as is, a base-asset fee at the
    trade's price, any other asset apart."""
    if source.fee is None:
        return None, "", None
    asset = (source.fee_asset or "").upper()
    if asset in ("", source.quote.upper()):
        return source.fee, "", None
    if asset == source.symbol.split("-", 1)[0].upper():
        with localcontext() as exact:
            exact.prec = 80
            return source.fee * source.price, "", None
    return None, asset, source.fee


def _rows(*, user_id: str, sources: list[_Source], changed: list[_Source], hashes: dict[str, int],
          books: dict[str, deque]) -> Iterator[tuple]:
    """The read-model row of each changed trade, one at a time (the excursions and rates of every exit are
    worked out first, with one pass over the candles of each symbol)."""
    exits = [s for s in changed if s.pnl is not None]
    fees = {s.id: _fee(s) for s in changed}
    excursion = _excursions(sources=sources, exits=exits, fees=fees, books=books)
    rates = _exit_rates(exits)
    for s in changed:
        ts = s.ts.astimezone(UTC)
        fee, other_asset, other = fees[s.id]
        entry, mae, mfe = excursion.get(s.id, (None, None, None))
        efficiency = float(s.pnl) / mfe if mfe is not None and mfe > 0 else None
        (usd_rate, usd_pair), (eur_rate, eur_pair) = rates.get(s.id, ((None, ""), (None, "")))
        yield (s.id, user_id, ts, ts.date(), ts.hour, ts.isoweekday(), s.symbol, s.quote, s.broker, s.side,
               s.qty, s.price, fee, other_asset, other, s.pnl, s.held_hours if s.pnl is not None else None,
               s.matched or Decimal(0), entry, mae, mfe, efficiency, usd_rate, usd_pair, eur_rate, eur_pair,
               hashes[s.id])


# --- MAE / MFE per matched lot ---------------------------------------------------------------------------

def _lots(*, sources: list[_Source], exit_ids: set[str],
          books: dict[str, deque] | None = None) -> dict[str, list[tuple[datetime, float, float]]]:
    """exit id → its matched lots (entry time, quantity, price), replaying FIFO on the exits' symbols in the
    engine's order (time, buys before sells, id) from `books` (the lots open before the first source; none
    when the sources are the whole history); a sell with no open lot matches nothing."""
    symbols = {s.symbol for s in sources if s.id in exit_ids}
    ordered = sorted((s for s in sources if s.symbol in symbols),
                     key=lambda s: (s.ts, 0 if s.side.strip().upper() == "BUY" else 1, s.id))
    books = defaultdict(deque, {symbol: deque(list(lot) for lot in lots) for symbol, lots in (books or {}).items()})
    out: dict[str, list] = {}
    for s in ordered:
        lots = books[s.symbol]
        if s.side.strip().upper() == "BUY":
            lots.append([s.ts, s.qty, s.price])
            continue
        remaining, matched = s.qty, []
        while remaining > 0 and lots:
            lot = lots[0]
            take = min(remaining, lot[1])
            matched.append((lot[0], float(take), float(lot[2])))
            lot[1] -= take
            remaining -= take
            if lot[1] <= 0:
                lots.popleft()
        if s.id in exit_ids:
            out[s.id] = matched
    return out


def _window_extremes(bars: pd.DataFrame, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lowest low and highest high of the bars [starts[i], ends[i]) for every i (NaN when empty), with one
    `reduceat` per column over interleaved bounds."""
    n = len(starts)
    lows = np.append(bars["low"].to_numpy(), np.nan)
    highs = np.append(bars["high"].to_numpy(), np.nan)
    bounds = np.empty(2 * n, dtype=np.int64)
    bounds[0::2], bounds[1::2] = starts, ends
    bounds = np.minimum(bounds, len(lows) - 1)
    low = np.minimum.reduceat(lows, bounds)[0::2]
    high = np.maximum.reduceat(highs, bounds)[0::2]
    empty = ends <= starts
    low[empty], high[empty] = np.nan, np.nan
    return low, high


def _instants(values) -> np.ndarray:
    """Times as int64 nanoseconds since the epoch (UTC), to search one in another: a tz-aware column's
    `to_numpy()` is an array of Timestamp objects, slow to make and to search (~1 s of a 100,000-trade
    refresh)."""
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def _excursions(*, sources: list[_Source], exits: list[_Source], fees: dict,
                books: dict[str, deque] | None = None) -> dict[str, tuple]:
    """exit id → (oldest lot's entry, MAE, MFE); MAE/MFE None without candles over the holding time or when
    the replayed lots do not cover the exit's matched quantity."""
    if not exits:
        return {}
    lots = _lots(sources=sources, exit_ids={s.id for s in exits}, books=books)
    records = []  # one per lot: exit index, entry, qty, per-unit basis
    for index, s in enumerate(exits):
        matched = lots.get(s.id) or []
        quantity = sum(q for _, q, _ in matched)
        expected = float(s.matched or 0)
        if not matched or not abs(quantity - expected) <= 1e-9 * abs(expected):  # np.isclose(rtol=1e-9, atol=0)
            continue
        exit_fee = float(fees[s.id][0] or 0) * quantity / float(s.qty)
        cost = float(s.price) * quantity - exit_fee - float(s.pnl)
        fees_per_unit = (cost - sum(q * p for _, q, p in matched)) / quantity
        records.extend((index, entry, q, p + fees_per_unit) for entry, q, p in matched)
    frame = pd.DataFrame(records, columns=["exit", "entry", "qty", "basis"])
    out = {s.id: (min(e for e, _, _ in lots[s.id]) if lots.get(s.id) else None, None, None) for s in exits}
    if frame.empty:
        return out
    frame["entry"] = pd.to_datetime(frame["entry"], utc=True)
    frame["exit_ts"] = pd.to_datetime([exits[i].ts for i in frame["exit"]], utc=True)
    frame["symbol"] = [exits[i].symbol for i in frame["exit"]]
    frame = frame.sort_values(["exit", "entry"], kind="stable").reset_index(drop=True)
    group = frame.groupby("exit", sort=False)
    frame["held"] = group["qty"].cumsum()
    frame["cost"] = (frame["qty"] * frame["basis"]).groupby(frame["exit"]).cumsum()
    frame["next_entry"] = group["entry"].shift(-1)
    frame["low"], frame["high"] = np.nan, np.nan
    for symbol, part in frame.groupby("symbol"):
        start = part["entry"].min().floor("h").to_pydatetime()
        end = part["exit_ts"].max().to_pydatetime() + HOUR
        bars = candle_frame(symbol=symbol, granularity=GRANULARITY, start=start, end=end)
        if bars.empty:
            continue
        opened = _instants(bars.index)
        starts = np.searchsorted(opened, _instants(part["entry"].dt.floor("h")), side="left")
        ends = np.searchsorted(opened, _instants(part["exit_ts"]), side="left")
        following = part["next_entry"].notna().to_numpy()
        if following.any():
            nexts = np.searchsorted(opened, _instants(part.loc[following, "next_entry"].dt.floor("h")), side="left")
            ends[following] = np.minimum(ends[following], nexts)
        low, high = _window_extremes(bars, starts, ends)
        frame.loc[part.index, "low"], frame.loc[part.index, "high"] = low, high
    frame["worst"] = frame["held"] * frame["low"] - frame["cost"]
    frame["best"] = frame["held"] * frame["high"] - frame["cost"]
    by_exit = frame.groupby("exit")
    worst, best = by_exit["worst"].min(), by_exit["best"].max()
    for index, low, high in zip(worst.index, worst.to_numpy(), best.to_numpy(), strict=True):
        if not np.isnan(low):
            s = exits[index]
            out[s.id] = (out[s.id][0], min(0.0, float(low)), max(0.0, float(high)))
    return out


# --- rates to the reporting currencies -------------------------------------------------------------------

def exit_rate_series(*, quote: str, currency: str, times: pd.Series) -> tuple[np.ndarray, str | None]:
    """quote → currency at each time: the close of the last stored hourly bar of QUOTE-CURRENCY (or the
    inverse of CURRENCY-QUOTE) that had closed by then, at most two hours before. NaN where none; and the
    pair used (None for the currency itself or when neither pair has bars)."""
    if quote == currency:
        return np.ones(len(times)), None
    start = times.min().floor("h").to_pydatetime() - RATE_TOLERANCE.to_pytimedelta()
    end = times.max().to_pydatetime() + HOUR
    for pair, inverse in ((f"{quote}-{currency}", False), (f"{currency}-{quote}", True)):
        bars = candle_frame(symbol=pair, granularity=GRANULARITY, start=start, end=end)
        if bars.empty:  # the pair is used when it has any bar (not only near these times): NaN then
            if candle_queryset().filter(symbol=pair, granularity=GRANULARITY).exists():
                return np.full(len(times), np.nan), pair
            continue
        closes = bars["close"].rename("rate").reset_index()
        probe = pd.DataFrame({"ts": times.to_numpy(), "order": np.arange(len(times))}).sort_values("ts")
        probe["ts"] = pd.to_datetime(probe["ts"], utc=True)
        closes["ts"] = pd.to_datetime(closes["ts"], utc=True) + pd.Timedelta(HOUR)  # a bar's close time
        joined = pd.merge_asof(probe, closes, on="ts", direction="backward", tolerance=RATE_TOLERANCE)
        rates = joined.sort_values("order")["rate"].to_numpy(dtype="float64")
        return (1.0 / rates if inverse else rates), pair
    return np.full(len(times), np.nan), None


def _exit_rates(exits: list[_Source]) -> dict[str, tuple[tuple[float | None, str], tuple[float | None, str]]]:
    """exit id → ((USD rate, pair), (EUR rate, pair)); one candle query per pair tried."""
    by_quote: dict[str, list[_Source]] = defaultdict(list)
    for s in exits:
        by_quote[s.quote].append(s)
    out: dict[str, list] = {s.id: [] for s in exits}
    for quote, group in by_quote.items():
        times = pd.Series(pd.to_datetime([s.ts for s in group], utc=True))
        for currency in REPORTING_CURRENCIES:
            rates, pair = exit_rate_series(quote=quote, currency=currency, times=times)
            for s, rate in zip(group, rates, strict=True):
                out[s.id].append((None if np.isnan(rate) else float(rate), pair or ""))
    return {key: tuple(value) for key, value in out.items()}
