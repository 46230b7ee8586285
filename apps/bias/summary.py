"""The dashboard summary, read from the daily label rollups (`LabelDay`) instead of every tag of the period.

Whole UTC days inside [since, until) come from the rollups, grouped in SQL (a few hundred rows for a
year); the part-days at either end, if any, are grouped from the tags, trades and positions themselves, so
the answer equals a full recomputation over the period to the microsecond. Rollups follow scoring (see
`services.rollups`): trades stored but not labelled yet are counted once their scoring run commits.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from apps.trades.selectors import trade_queryset

from .engine_io import decimal_str
from .models import BiasTag, LabelDay
from .selectors import _disposition_json

DAY = timedelta(days=1)


def label_day_rows(*, user_id: str, ranges: list[tuple[datetime, datetime]] | None = None) -> list[tuple]:
    """(day, symbol, label, trades, with_pnl, realized_pnl) of the user's trades in the time `ranges`
    (each [start, end); every trade without), grouped by UTC day, market and label from the tags, trades
    and positions — the rows `LabelDay` keeps; label "" counts every trade. Two grouped queries."""
    tags = BiasTag.objects.filter(trade__user_id=user_id)
    trades = trade_queryset().filter(user_id=user_id)
    if ranges is not None:
        if not ranges:
            return []
        tags = tags.filter(_within("trade__ts", ranges))
        trades = trades.filter(_within("ts", ranges))
    known = Q(trade__position__realized_pnl__isnull=False)
    rows = [(r["day"], r["trade__symbol"], r["label"], r["n"], r["known"], r["pnl"])
            for r in (tags.annotate(day=TruncDate("trade__ts", tzinfo=UTC))
                      .values("day", "trade__symbol", "label").order_by()
                      .annotate(n=Count("id"), known=Count("id", filter=known),
                                pnl=Sum("trade__position__realized_pnl", filter=known)))]
    rows += [(r["day"], r["symbol"], LabelDay.ALL_TRADES, r["n"], 0, None)
             for r in (trades.annotate(day=TruncDate("ts", tzinfo=UTC)).values("day", "symbol").order_by()
                       .annotate(n=Count("id")))]
    return rows


def _within(field: str, ranges: list[tuple[datetime, datetime]]) -> Q:
    condition = Q()
    for start, end in ranges:
        condition |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return condition


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def bias_summary(*, user, since: datetime, until: datetime) -> dict:
    """Labels per day, realised P/L by label (per quote currency) and the disposition effect over
    [since, until), for the dashboard. Six queries, none of which reads the period's tags one by one."""
    first_full = _day_start(since.astimezone(UTC).date())
    if first_full < since:
        first_full += DAY
    last_full_end = _day_start(until.astimezone(UTC).date())
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_label: dict[str, list] = {}  # label → [tags, with P/L, {quote: P/L}]
    trades_in_period = 0

    def add(day, symbol, label, trades, with_pnl, pnl, *, daily=True):
        nonlocal trades_in_period
        if label == LabelDay.ALL_TRADES:
            trades_in_period += trades
            return
        if daily:
            per_day[day][label] += trades
        entry = per_label.setdefault(label, [0, 0, defaultdict(Decimal)])
        entry[0] += trades
        entry[1] += with_pnl
        if pnl is not None:
            entry[2][symbol.rsplit("-", 1)[-1]] += pnl

    if first_full < last_full_end:
        edges = [(since, first_full), (last_full_end, until)]
        days = LabelDay.objects.filter(user=user, day__gte=first_full.date(), day__lt=last_full_end.date())
        for day, label, trades in (days.exclude(label=LabelDay.ALL_TRADES).values("day", "label").order_by()
                                   .annotate(n=Sum("trades")).values_list("day", "label", "n")):
            per_day[day][label] += trades
        for symbol, label, trades, with_pnl, pnl in (days.values("symbol", "label").order_by()
                                                     .annotate(n=Sum("trades"), known=Sum("with_pnl"),
                                                               pnl=Sum("realized_pnl"))
                                                     .values_list("symbol", "label", "n", "known", "pnl")):
            add(None, symbol, label, trades, with_pnl, pnl, daily=False)
    else:
        edges = [(since, until)]
    for row in label_day_rows(user_id=user.id, ranges=[(a, b) for a, b in edges if a < b]):
        add(*row)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "hasTrades": trade_queryset().filter(user=user).exists(),
        "trades": trades_in_period,
        "labelsPerDay": [{"date": day.isoformat(), "counts": dict(sorted(counts.items()))}
                         for day, counts in sorted(per_day.items())],
        "pnlByLabel": [{"label": label, "trades": tags, "withRealizedPnl": known,
                        "realizedPnl": ({quote: decimal_str(amount) for quote, amount in sorted(pnl.items())}
                                        if known else None)}
                       for label, (tags, known, pnl) in sorted(per_label.items())],
        "disposition": _disposition_json(user=user, since=since, until=until),
    }
