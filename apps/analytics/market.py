"""Figures that need market prices, read from the read model (`TradeFact`), where they were computed from the
stored hourly candles when the trade was scored (`apps.analytics.services.readmodel`): MAE/MFE of closed
positions and conversion to a reporting currency.

Both are estimates from hourly bars and are labelled so in the API: they are floats, not exact decimals.
"""
from __future__ import annotations

import json
import math

from django.db import connections
from django.db.models import Count, F, FloatField, Max, Q, Sum
from django.db.models.functions import Cast

from .selectors import Filters, closed_positions, daily_rollups

REPORTING_CURRENCIES = ("USD", "EUR")
EXCURSION_FIELDS = ("trade_id", "symbol", "quote", "ts", "entry_ts", "pnl", "mae", "mfe", "exit_efficiency")


def _number(value: float | None, places: int = 8) -> str | None:
    if value is None or not math.isfinite(value):
        return None
    text = f"{round(float(value), places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _rounded(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def _iso(moment) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00") if moment is not None else None


# --- MAE / MFE ------------------------------------------------------------------------------------------

EXCURSIONS_SQL = """
SELECT quote, json_agg(json_build_object(
           'tradeId', trade_id, 'symbol', symbol,
           'exitTs', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
           'entryTs', to_char(entry_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
           'pnl', trim_scale(round(realized_pnl, 8)), 'mae', trim_scale(round(mae::numeric, 8)),
           'mfe', trim_scale(round(mfe::numeric, 8)), 'exitEfficiency', trim_scale(round(exit_efficiency::numeric, 4))
       ) ORDER BY ts, trade_id)::text
FROM ({newest}) AS newest GROUP BY quote
"""
DEFAULT_SCATTER = 500
MAX_SCATTER = 5000


def _newest_positions(*, user, filters: Filters, trade_id: str | None, limit: int):
    positions = closed_positions(user=user, filters=filters)
    if trade_id is not None:
        positions = positions.filter(trade_id=trade_id)
    return positions.order_by("-ts", "-trade_id")[:limit]


def _excursion_totals(*, user, filters: Filters, trade_id: str | None) -> dict[str, tuple]:
    """quote → (closed positions, with MAE/MFE, sum and count of exit efficiencies) over every position the
    filters select: one grouped query, over the daily rollup when the filters allow."""
    rollups = daily_rollups(user=user, filters=filters) if trade_id is None else None
    if rollups is not None:
        rows = rollups.filter(closed__gt=0).values("quote").order_by().annotate(
            n=Sum("closed"), known=Sum("with_excursion"), efficiency=Sum("efficiency_sum"),
            efficiencies=Sum("efficiency_count"))
    else:
        positions = closed_positions(user=user, filters=filters)
        if trade_id is not None:
            positions = positions.filter(trade_id=trade_id)
        rows = positions.values("quote").order_by().annotate(
            n=Count("pk"), known=Count("mfe"), efficiency=Sum("exit_efficiency"),
            efficiencies=Count("exit_efficiency"))
    return {row["quote"]: (row["n"], row["known"], row["efficiency"], row["efficiencies"]) for row in rows}


def excursions(*, user, filters: Filters, trade_id: str | None = None, limit: int = DEFAULT_SCATTER,
               in_database: bool | None = None) -> bytes:
    """Maximum adverse and favourable excursion of closed positions while held, and exit efficiency
    (realised P/L ÷ MFE), as the JSON body of the response. Per quote: the counts and the average exit
    efficiency over every position the filters select (`closedPositions`, `withCandles`, `withoutCandles`,
    `averageExitEfficiency`), and the scatter of the newest `limit` of them (`positions`, oldest first; at
    most `MAX_SCATTER`). MAE/MFE follow each matched lot from its own entry hour (see
    `apps.analytics.services.readmodel`); `entryTs` is the oldest lot's entry. Two queries: the totals
    (over the daily rollup when the filters allow), and the scatter, which PostgreSQL turns into JSON itself
    (no Python object per position); elsewhere (or with `in_database=False`) Python does, to the same
    document."""
    if trade_id is not None:
        filters = Filters()
    limit = max(1, min(limit, MAX_SCATTER))
    totals = _excursion_totals(user=user, filters=filters, trade_id=trade_id)
    newest = _newest_positions(user=user, filters=filters, trade_id=trade_id, limit=limit)
    if in_database is None:
        in_database = connections[newest.db].vendor == "postgresql"
    head = json.dumps({"filters": filters.as_json(), "basis": "hourly candles", "scatterLimit": limit})[:-1]
    if not totals:
        return (head + ', "currencies": []}').encode()
    if in_database:
        sql, params = newest.values("trade_id", "symbol", "quote", "ts", "entry_ts", "realized_pnl", "mae", "mfe",
                                    "exit_efficiency").query.sql_with_params()
        with connections[newest.db].cursor() as cursor:
            cursor.execute(EXCURSIONS_SQL.format(newest=sql), params)
            scatter = dict(cursor.fetchall())
    else:
        scatter = {quote: json.dumps(rows) for quote, rows in _excursions_in_python(newest).items()}
    currencies = ", ".join(
        f'{{"quote": {json.dumps(quote)}, "closedPositions": {count}, "withCandles": {known}, '
        f'"withoutCandles": {count - known}, '
        f'"averageExitEfficiency": {json.dumps(round(efficiency / n, 4) if n else None)}, '
        f'"positions": {scatter.get(quote, "[]")}}}'
        for quote, (count, known, efficiency, n) in sorted(totals.items()))
    return f"{head}, \"currencies\": [{currencies}]}}".encode()


def _excursions_in_python(newest) -> dict[str, list[dict]]:
    rows = list(newest.annotate(pnl=Cast("realized_pnl", FloatField())).values_list(*EXCURSION_FIELDS))
    rows.reverse()
    by_quote: dict[str, list[dict]] = {}
    for trade, symbol, quote, ts, entry, pnl, mae, mfe, efficiency in rows:
        by_quote.setdefault(quote, []).append({
            "tradeId": trade, "symbol": symbol, "exitTs": _iso(ts), "entryTs": _iso(entry), "pnl": _rounded(pnl, 8),
            "mae": _rounded(mae, 8), "mfe": _rounded(mfe, 8), "exitEfficiency": _rounded(efficiency, 4)})
    return by_quote


# --- reporting currency ---------------------------------------------------------------------------------

def reporting(*, user, filters: Filters, currency: str) -> dict:
    """Realised P/L of every closed position converted to `currency` at its exit time (the rate stored with
    the position), the converted total, a daily converted equity curve, and per quote currency how it was
    converted (the pair, how many positions had no rate and stay out of the total). Two queries, over the daily
    rollup when the filters allow."""
    prefix = currency.lower()
    rollups = daily_rollups(user=user, filters=filters)
    if rollups is not None:
        positions = rollups.filter(closed__gt=0)
        quotes = list(positions.values("quote").order_by("quote").annotate(
            positions=Sum("closed"), without=Sum(f"{prefix}_without"), pnl_total=Sum("pnl_float"),
            converted_total=Sum(f"{prefix}_converted"), pair=Max(f"{prefix}_pair")))
        days = positions.values("day").order_by("day").annotate(total=Sum(f"{prefix}_converted"))
    else:
        rate = f"{prefix}_rate"
        positions = closed_positions(user=user, filters=filters).annotate(
            pnl=Cast("realized_pnl", FloatField()), converted=F("pnl") * F(rate))
        quotes = list(positions.values("quote").order_by("quote").annotate(
            positions=Count("pk"), without=Count("pk", filter=Q(**{f"{rate}__isnull": True})),
            pnl_total=Sum("pnl"), converted_total=Sum("converted"), pair=Max(f"{prefix}_pair")))
        days = positions.filter(**{f"{rate}__isnull": False}).values("day").order_by("day").annotate(
            total=Sum("converted"))
    if not quotes:
        return {"currency": currency, "realizedPnl": "0", "conversions": [], "equity": [], "estimate": True}
    conversions = [{"quote": row["quote"], "pair": row["pair"] or None,
                    "inverse": bool(row["pair"] and row["pair"].startswith(currency + "-")),
                    "positions": row["positions"], "withoutRate": row["without"],
                    "realizedPnl": _number(row["pnl_total"]), "converted": _number(row["converted_total"] or 0.0)}
                   for row in quotes]
    equity, total, peak = [], 0.0, 0.0
    for day, converted in days.values_list("day", "total"):
        if converted is None:  # no position of that day had a rate
            continue
        total += converted
        peak = max(peak, total)
        equity.append({"date": day.isoformat(), "equity": _number(total), "drawdown": _number(total - peak)})
    return {"currency": currency, "realizedPnl": _number(sum(row["converted_total"] or 0.0 for row in quotes)),
            "conversions": conversions, "equity": equity, "estimate": True}
