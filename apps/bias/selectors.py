"""Bias reads, always scoped to one user."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum

from apps.core.errors import NotFound, ValidationFailed
from apps.core.formatting import zone
from apps.core.pagination import cursor_datetime, cursor_decode, cursor_encode, keyset_after
from apps.trades.selectors import trade_queryset

from .engine.calibration import CALIBRATION_KIND
from .engine.disposition import MIN_OBSERVATIONS, SIGNIFICANT_T, figures
from .engine_io import decimal_str
from .models import BiasTag, DispositionDay, Reflection, ReflectionFeedback, Rule, TradePosition

if TYPE_CHECKING:
    from apps.trades.models import Trade

GRID_SORTS = {"ts": ("ts", "id"), "-ts": ("-ts", "-id"), "symbol": ("symbol", "ts", "id"),
              "-symbol": ("-symbol", "-ts", "-id")}


def trade_counts_for_rescore(*, user_id: str | None = None, since: datetime | None = None) -> dict[str, int]:
    """How many trades each user has (optionally one user, optionally trades at or after `since`), by user
    id: one grouped count, not every trade id."""
    query = trade_queryset()
    if user_id:
        query = query.filter(user_id=user_id)
    if since:
        query = query.filter(ts__gte=since)
    return dict(query.order_by("user_id").values("user_id").annotate(trades=Count("id"))
                .values_list("user_id", "trades"))


def _trade_for_user(*, user, trade_id: str) -> Trade:
    trade = trade_queryset().filter(user=user, id=trade_id).defer("raw").first()
    if trade is None:
        raise NotFound("Trade not found.")
    return trade


def trade_with_tags_get(*, user, trade_id: str) -> tuple[Trade, list[BiasTag]]:
    trade = _trade_for_user(user=user, trade_id=trade_id)
    return trade, list(trade.bias_tags.order_by("-confidence", "label"))


def _tag_json(tag: BiasTag) -> dict:
    return {"id": tag.id, "label": tag.label, "confidence": float(tag.confidence), "features": tag.features,
            "engineVersion": tag.engine_version, "createdAt": tag.created_at.isoformat()}


def _position_json(position: TradePosition | None) -> dict | None:
    if position is None:
        return None
    return {"realizedPnl": decimal_str(position.realized_pnl), "realizedPnlKnown": position.realized_pnl is not None,
            "heldHours": position.held_hours, "matchedQty": decimal_str(position.matched_qty),
            "unmatchedQty": decimal_str(position.unmatched_qty)}


def _trade_json(trade: Trade) -> dict:
    return {"id": trade.id, "symbol": trade.symbol, "side": trade.side, "qty": decimal_str(trade.qty),
            "price": decimal_str(trade.price), "fee": decimal_str(trade.fee), "feeAsset": trade.fee_asset,
            "quoteAsset": trade.quote_asset, "broker": trade.broker, "ts": trade.ts.isoformat()}


def trade_bias_get(*, user, trade_id: str) -> dict:
    """{tradeId, trade, tags, reflection, position, feedback} for one of the user's trades."""
    trade, tags = trade_with_tags_get(user=user, trade_id=trade_id)
    reflection = Reflection.objects.filter(trade=trade, user=user).order_by("-created_at").first()
    position = TradePosition.objects.filter(trade=trade).first()
    vote = None
    if reflection:
        vote = ReflectionFeedback.objects.filter(user=user, reflection=reflection).values_list("vote", flat=True).first()
    return {
        "tradeId": trade.id,
        "trade": _trade_json(trade),
        "tags": [_tag_json(t) for t in tags],
        "reflection": ({"text": reflection.text, "tone": reflection.tone, "bias": reflection.bias,
                        "source": reflection.source, "eventId": reflection.event_id, "vote": vote}
                       if reflection else None),
        "position": _position_json(position),
    }


def trade_symbol_get(*, user, trade_id: str) -> str:
    """The market of one of the user's trades (NotFound for another user's or an unknown trade)."""
    symbol = trade_queryset().filter(user_id=user.pk, id=trade_id).values_list("symbol", flat=True).first()
    if symbol is None:
        raise NotFound("Trade not found.")
    return symbol


def trade_chart_get(*, user, trade_id: str, before: timedelta = timedelta(days=5),
                    after: timedelta = timedelta(hours=12)) -> dict:
    """Candles around one trade plus markers for the user's entries and exits on that symbol."""
    from .services.payloads import stored_candles

    trade = _trade_for_user(user=user, trade_id=trade_id)
    start, end = trade.ts - before, trade.ts + after
    frame = stored_candles(symbol=trade.symbol, start=start, end=end)
    candles = []
    if frame is not None and not frame.empty:  # whole columns to Python at once, not a pandas scalar per value
        columns = [frame.index.as_unit("s").asi8.tolist()]
        columns += [frame[name].to_numpy(dtype=float).tolist() for name in ("open", "high", "low", "close")]
        candles = [{"time": t, "open": o, "high": h, "low": lo, "close": c} for t, o, h, lo, c in zip(*columns, strict=True)]
    markers = [{"tradeId": trade_id, "time": int(ts.timestamp()), "side": side, "qty": decimal_str(qty),
                "price": decimal_str(price), "current": trade_id == trade.id}
               for trade_id, side, qty, price, ts in
               trade_queryset().filter(user_id=user.pk, symbol=trade.symbol, ts__gte=start, ts__lte=end)
               .order_by("ts", "id").values_list("id", "side", "qty", "price", "ts")]
    return {"tradeId": trade.id, "symbol": trade.symbol, "granularity": "1h", "candles": candles, "markers": markers}


def trade_grid_brokers(*, user) -> list[str]:
    """The exchanges the user's trades come from, for the grid's filter: one index probe per exchange (on
    the unique (user, broker, ext_id) index) instead of reading every trade of the user."""
    brokers: list[str] = []
    trades = trade_queryset().filter(user=user).order_by("broker").values_list("broker", flat=True)
    while (found := list((trades.filter(broker__gt=brokers[-1]) if brokers else trades)[:1])):
        brokers.append(found[0])
    return brokers


def trade_grid(*, user, label: str | None = None, sort: str = "-ts", cursor: str | None = None,
               limit: int = 50, symbol: str | None = None, broker: str | None = None,
               day_from: date | None = None, day_to: date | None = None) -> tuple[list[dict], str | None]:
    """The user's trades with their labels, keyset-paginated; `label` keeps trades carrying that label, `symbol`
    and `broker` one market or exchange, `day_from`..`day_to` (inclusive) days in the user's time zone."""
    if sort not in GRID_SORTS:
        raise ValidationFailed("Unknown sort.", fields={"sort": [f"Use one of: {', '.join(GRID_SORTS)}."]})
    if day_from and day_to and day_to < day_from:
        raise ValidationFailed("The last day is before the first.", fields={"to": ["Pick a day on or after 'from'."]})
    order = GRID_SORTS[sort]
    query = trade_queryset().filter(user_id=user.pk)  # by id: no `trade.user = user` on every row
    if label:
        query = query.filter(Exists(BiasTag.objects.filter(trade=OuterRef("pk"), label=label)))
    if symbol:
        query = query.filter(symbol=symbol.strip().upper())
    if broker:
        query = query.filter(broker=broker)
    local = zone(getattr(user, "timezone", "UTC"))
    if day_from:
        query = query.filter(ts__gte=datetime.combine(day_from, time.min, tzinfo=local))
    if day_to:
        query = query.filter(ts__lt=datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=local))
    if cursor:
        values = cursor_decode(cursor)
        if len(values) != len(order):
            raise ValidationFailed("The cursor is not valid.", code="invalid_cursor")
        query = query.filter(_after(order, values))
    # Two queries a page: the trades with their positions, then their labels — never the tags' evidence
    # (`features`) or the trade's raw export row, which the grid does not show.
    page = list(
        query.select_related("position").defer("raw")
        .prefetch_related(Prefetch("bias_tags", queryset=BiasTag.objects.only("trade_id", "label", "confidence")
                                   .order_by("-confidence", "label")))
        .order_by(*order)[: limit + 1]
    )
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        last = page[-1]
        next_cursor = cursor_encode([_cursor_value(last, f.lstrip("-")) for f in order])
    results = []
    for trade in page:
        position = getattr(trade, "position", None)
        results.append({**_trade_json(trade),
                        "labels": [{"name": t.label, "confidence": float(t.confidence)} for t in trade.bias_tags.all()],
                        "realizedPnl": decimal_str(position.realized_pnl) if position else None,
                        "heldHours": position.held_hours if position else None})
    return results, next_cursor


def _cursor_value(trade: Trade, name: str):
    value = getattr(trade, name)
    return value.isoformat() if isinstance(value, datetime) else value


def _after(order: tuple[str, ...], values: list):
    """Keyset condition: rows strictly after the cursor `values` in `order` (every sort keeps one direction
    for all its fields, so this is one row comparison on the index)."""
    parsed = [cursor_datetime(value) if name.lstrip("-") == "ts" else value
              for name, value in zip(order, values, strict=True)]
    return keyset_after(tuple(name.lstrip("-") for name in order), tuple(parsed),
                        descending=order[0].startswith("-"))


def rule_list(*, user) -> list[Rule]:
    """The user's own rules (the calibrated thresholds are kept as a rule too, but are not one of theirs)."""
    return list(Rule.objects.filter(user=user).exclude(kind=CALIBRATION_KIND).order_by("kind"))


def _disposition_json(*, user, since: datetime, until: datetime) -> dict | None:
    """Odean's disposition effect over the sale days (UTC) that lie at least partly in [since, until):
    the per-day counts summed, then PGR, PLR, their difference, its standard error, t-statistic and
    whether it is significant yet. None when there was no sale day in the period."""
    last_day = (until - timedelta(microseconds=1)).astimezone(UTC).date()
    days = DispositionDay.objects.filter(user=user, day__gte=since.astimezone(UTC).date(), day__lte=last_day)
    totals = days.aggregate(
        sale_days=Count("id"), single=Count("id", filter=Q(counted=False)),
        RG=Sum("realized_gains", filter=Q(counted=True)), RL=Sum("realized_losses", filter=Q(counted=True)),
        PG=Sum("paper_gains", filter=Q(counted=True)), PL=Sum("paper_losses", filter=Q(counted=True)),
        unpriced=Sum("paper_unpriced", filter=Q(counted=True)), unknown=Sum("sales_unknown"))
    if not totals["sale_days"]:
        return None
    out = figures(RG=totals["RG"] or 0, RL=totals["RL"] or 0, PG=totals["PG"] or 0, PL=totals["PL"] or 0)
    return {"periodStart": since.isoformat(), "periodEnd": until.isoformat(),
            "saleDays": totals["sale_days"], "singleMarketDays": totals["single"],
            "realizedGains": out["RG"], "realizedLosses": out["RL"],
            "paperGains": out["PG"], "paperLosses": out["PL"],
            "paperUnpriced": totals["unpriced"] or 0, "salesUnknown": totals["unknown"] or 0,
            "pgr": out["PGR"], "plr": out["PLR"], "effect": out["PGR_minus_PLR"],
            "standardError": out["standard_error"], "tStat": out["t_stat"], "significance": out["significance"],
            "minObservations": MIN_OBSERVATIONS, "significantT": SIGNIFICANT_T}


# --- reads for performance analytics (the analytics app builds its figures on these querysets) ----------

def _trade_filter(prefix: str, *, since: datetime | None, until: datetime | None, symbols: list[str] | None,
                  brokers: list[str] | None, sides: list[str] | None, labels: list[str] | None) -> Q:
    """The shared filters, on a Trade reached through `prefix` ("" for Trade itself, "trade__" from a position)."""
    condition = Q()
    if since is not None:
        condition &= Q(**{f"{prefix}ts__gte": since})
    if until is not None:
        condition &= Q(**{f"{prefix}ts__lt": until})
    if symbols:
        condition &= Q(**{f"{prefix}symbol__in": symbols})
    if brokers:
        condition &= Q(**{f"{prefix}broker__in": brokers})
    if sides:
        condition &= Q(**{f"{prefix}side__in": sides})
    if labels:
        condition &= Q(Exists(BiasTag.objects.filter(trade_id=OuterRef(f"{prefix}id" if prefix else "id"),
                                                     label__in=labels)))
    return condition


def trade_filtered_queryset(*, user, since: datetime | None = None, until: datetime | None = None,
                            symbols: list[str] | None = None, brokers: list[str] | None = None,
                            sides: list[str] | None = None, labels: list[str] | None = None):
    """The user's trades matching the filters (a label filter keeps trades carrying one of the labels)."""
    from apps.trades.selectors import trade_queryset

    return trade_queryset().filter(user=user).filter(_trade_filter(
        "", since=since, until=until, symbols=symbols, brokers=brokers, sides=sides, labels=labels))


def closed_position_queryset(*, user, since: datetime | None = None, until: datetime | None = None,
                             symbols: list[str] | None = None, brokers: list[str] | None = None,
                             sides: list[str] | None = None, labels: list[str] | None = None):
    """The user's closed positions: every exit whose FIFO match gave a realised P/L (quote currency, net of
    fees), filtered on the exit trade. Fields: realized_pnl, held_hours, matched_qty, symbol, trade__*."""
    return (TradePosition.objects.filter(user=user, realized_pnl__isnull=False)
            .filter(_trade_filter("trade__", since=since, until=until, symbols=symbols, brokers=brokers,
                                  sides=sides, labels=labels)))



# --- reads for the weekly digest ----------------------------------------------------------------------

def trade_outcomes(*, user_ids: list[str], until: datetime, since: datetime | None = None,
                   markets: dict[str, list[str]] | None = None, rules_since: datetime | None = None) -> dict[str, dict]:
    """For the users' scored trades in [since, until) (with `markets`, only those markets of each user):
    {trade id: {"user_id", "ts", "labels": [label, …], "realizedPnl": Decimal | None, "rules": [{kind, status}]}}.

    With `rules_since` (earlier than `since`), the trades from `rules_since` on are included too, each with
    the rule outcomes it was labelled with (`rules`); realised P/L is read for [since, until) only. Two queries."""
    with_rules = rules_since is not None
    tags = BiasTag.objects.filter(trade__user_id__in=user_ids, trade__ts__lt=until)
    positions = TradePosition.objects.filter(user_id__in=user_ids, trade__ts__lt=until)
    if since is not None:
        tags = tags.filter(trade__ts__gte=min(since, rules_since) if with_rules else since)
        positions = positions.filter(trade__ts__gte=since)
    if markets is not None:
        if not markets:
            return {}
        tags = tags.filter(_per_user_markets(markets, user="trade__user_id", symbol="trade__symbol"))
        positions = positions.filter(_per_user_markets(markets, user="user_id", symbol="symbol"))
    fields = ("trade_id", "trade__user_id", "trade__ts", "label") + (("features__rules",) if with_rules else ())
    out: dict[str, dict] = {}
    for row in tags.order_by("trade_id", "label").values_list(*fields):
        entry = out.get(row[0])
        if entry is None:
            entry = out[row[0]] = {"user_id": row[1], "ts": row[2], "labels": [], "realizedPnl": None, "rules": []}
            if with_rules:
                entry["rules"] = [{"kind": r.get("kind"), "status": r.get("status")}
                                  for r in (row[4] or []) if isinstance(r, dict)]
        entry["labels"].append(row[3])
    for trade_id, pnl in positions.values_list("trade_id", "realized_pnl"):
        if trade_id in out:
            out[trade_id]["realizedPnl"] = pnl
    return out


def _per_user_markets(markets: dict[str, list[str]], *, user: str, symbol: str) -> Q:
    condition = Q()
    for user_id, symbols in markets.items():
        condition |= Q(**{user: user_id, f"{symbol}__in": symbols})
    return condition


def rule_kinds_active(*, user_ids: list[str]) -> dict[str, list[str]]:
    """{user id: [active rule kinds, A→Z]} (users without one are absent)."""
    out: dict[str, list[str]] = defaultdict(list)
    for user_id, kind in (Rule.objects.filter(user_id__in=user_ids, active=True).order_by("user_id", "kind")
                          .values_list("user_id", "kind")):
        out[user_id].append(kind)
    return dict(out)


def disposition_for_users(*, user_ids: list[str], since: datetime, until: datetime) -> dict[str, dict]:
    """Odean's disposition effect over [since, until) for each user with a sale day in it, in one grouped
    query: {user id: {pgr, plr, effect, counts…}} with the same fields as the summary's `disposition`."""
    last_day = (until - timedelta(microseconds=1)).astimezone(UTC).date()
    rows = (DispositionDay.objects.filter(user_id__in=user_ids, day__gte=since.astimezone(UTC).date(), day__lte=last_day)
            .values("user_id").order_by("user_id").annotate(
                sale_days=Count("id"), single=Count("id", filter=Q(counted=False)),
                RG=Sum("realized_gains", filter=Q(counted=True)), RL=Sum("realized_losses", filter=Q(counted=True)),
                PG=Sum("paper_gains", filter=Q(counted=True)), PL=Sum("paper_losses", filter=Q(counted=True)),
                unpriced=Sum("paper_unpriced", filter=Q(counted=True)), unknown=Sum("sales_unknown")))
    out = {}
    for totals in rows:
        result = figures(RG=totals["RG"] or 0, RL=totals["RL"] or 0, PG=totals["PG"] or 0, PL=totals["PL"] or 0)
        out[totals["user_id"]] = {
            "periodStart": since.isoformat(), "periodEnd": until.isoformat(), "saleDays": totals["sale_days"],
            "singleMarketDays": totals["single"], "realizedGains": result["RG"], "realizedLosses": result["RL"],
            "paperGains": result["PG"], "paperLosses": result["PL"], "paperUnpriced": totals["unpriced"] or 0,
            "salesUnknown": totals["unknown"] or 0, "pgr": result["PGR"], "plr": result["PLR"],
            "effect": result["PGR_minus_PLR"], "standardError": result["standard_error"], "tStat": result["t_stat"],
            "significance": result["significance"], "minObservations": MIN_OBSERVATIONS, "significantT": SIGNIFICANT_T}
    return out


def coach_text_violations(*, text: str) -> list[str]:
    """The non-advisory linter's findings for a coach text (`[]` = it talks about behaviour only)."""
    from .engine import lint_reflection

    return lint_reflection(text)


def position_exits(*, user_id: str, since: datetime | None = None, limit: int | None = None) -> list[dict]:
    """The user's exits whose realised P/L is known, newest first:
    `{tradeId, symbol, ts, realizedPnl}` (Decimal, in the market's quote currency)."""
    query = TradePosition.objects.filter(user_id=user_id, realized_pnl__isnull=False)
    if since is not None:
        query = query.filter(trade__ts__gte=since)
    rows = query.order_by("-trade__ts", "-trade_id").values("trade_id", "symbol", "realized_pnl", "trade__ts")
    return [{"tradeId": r["trade_id"], "symbol": r["symbol"], "ts": r["trade__ts"], "realizedPnl": r["realized_pnl"]}
            for r in (rows[:limit] if limit else rows)]


def rule_breaches(*, user_id: str, since: datetime) -> list[dict]:
    """The rules the user's trades at or after `since` broke, newest trade first:
    `{tradeId, symbol, ts, kind, value, limit, explain}` (from the evidence stored on their labels)."""
    seen: set[str] = set()
    out = []
    # the evidence's `rules` only: the whole evidence (~2.5 KB a tag) of a week of a busy history was read and
    # decoded to be dropped (~60 MB of JSON, and a peak of scoring's listeners, at 100,000 trades)
    for trade_id, symbol, ts, rules in (BiasTag.objects.filter(trade__user_id=user_id, trade__ts__gte=since)
                                        .order_by("-trade__ts", "trade_id", "label")
                                        .values_list("trade_id", "trade__symbol", "trade__ts", "features__rules")):
        if trade_id in seen:
            continue
        seen.add(trade_id)
        for rule in rules if isinstance(rules, list) else ():
            if isinstance(rule, dict) and rule.get("status") == "broken":
                out.append({"tradeId": trade_id, "symbol": symbol, "ts": ts, "kind": rule.get("kind"),
                            "value": rule.get("value"), "limit": rule.get("limit"), "explain": rule.get("explain") or ""})
    return out


def advice_violations(*, text: str) -> list[str]:
    """What the non-advisory linter finds in any text the app shows (`[]` = no advice in it)."""
    from .engine.linter import lint_text

    return lint_text(text)


def market_indicators(*, candles, interval=None):
    """The engine's indicator columns (RSI, ATR, Bollinger …) for one symbol's candle frame."""
    from .engine import compute_indicators

    return compute_indicators(candles, interval=interval)
