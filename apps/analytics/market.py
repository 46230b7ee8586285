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
SELECT quote, COUNT(*), COUNT(mfe), AVG(exit_efficiency) FILTER (WHERE mfe IS NOT NULL),
       json_agg(json_build_object(
           'tradeId', trade_id, 'symbol', symbol,
           'exitTs', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
           'entryTs', to_char(entry_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
           'pnl', trim_scale(round(realized_pnl, 8)), 'mae', trim_scale(round(mae::numeric, 8)),
           'mfe', trim_scale(round(mfe::numeric, 8)), 'exitEfficiency', trim_scale(round(exit_efficiency::numeric, 4))
       ) ORDER BY ts, trade_id)::text
FROM ({newest}) AS newest GROUP BY quote ORDER BY quote
"""


def _newest_positions(*, user, filters: Filters, trade_id: str | None, limit: int):
    positions = closed_positions(user=user, filters=filters)
    if trade_id is not None:
        positions = positions.filter(trade_id=trade_id)
    return positions.order_by("-ts", "-trade_id")[:limit]


def excursions(*, user, filters: Filters, trade_id: str | None = None, limit: int = 5000,
               in_database: bool | None = None) -> bytes:
    """Maximum adverse and favourable excursion of each of the newest `limit` closed positions while it was
    held, and exit efficiency (realised P/L ÷ MFE), as the JSON body of the response. MAE/MFE follow each
    matched lot from its own entry hour (see `apps.analytics.services.readmodel`); `entryTs` is the oldest
    lot's entry. On PostgreSQL the rows are turned into JSON by the database (one query, no Python object per
    position); elsewhere (or with `in_database=False`) in Python, to the same document."""
    if trade_id is not None:
        filters = Filters()
    newest = _newest_positions(user=user, filters=filters, trade_id=trade_id, limit=limit)
    if in_database is None:
        in_database = connections[newest.db].vendor == "postgresql"
    head = json.dumps({"filters": filters.as_json(), "basis": "hourly candles"})[:-1]
    if not in_database:
        return (head + ', "currencies": ' + json.dumps(_excursions_in_python(newest)) + "}").encode()
    sql, params = newest.values("trade_id", "symbol", "quote", "ts", "entry_ts", "realized_pnl", "mae", "mfe",
                                "exit_efficiency").query.sql_with_params()
    with connections[newest.db].cursor() as cursor:
        cursor.execute(EXCURSIONS_SQL.format(newest=sql), params)
        found = cursor.fetchall()
    currencies = ", ".join(
        f'{{"quote": {json.dumps(quote)}, "positions": {rows}, "withCandles": {known}, '
        f'"withoutCandles": {count - known}, "averageExitEfficiency": {json.dumps(_rounded(efficiency, 4))}}}'
        for quote, count, known, efficiency, rows in found)
    return f"{head}, \"currencies\": [{currencies}]}}".encode()


def _excursions_in_python(newest) -> list[dict]:
    rows = list(newest.annotate(pnl=Cast("realized_pnl", FloatField())).values_list(*EXCURSION_FIELDS))
    rows.reverse()
    by_quote: dict[str, list[tuple]] = {}
    for row in rows:
        by_quote.setdefault(row[2], []).append(row)
    currencies = []
    for quote, group in sorted(by_quote.items()):
        known = [row for row in group if row[7] is not None]
        efficiencies = [row[8] for row in known if row[8] is not None]
        currencies.append({
            "quote": quote,
            "positions": [{"tradeId": trade, "symbol": symbol, "exitTs": _iso(ts), "entryTs": _iso(entry),
                           "pnl": _rounded(pnl, 8), "mae": _rounded(mae, 8), "mfe": _rounded(mfe, 8),
                           "exitEfficiency": _rounded(efficiency, 4)}
                          for trade, symbol, _, ts, entry, pnl, mae, mfe, efficiency in group],
            "withCandles": len(known),
            "withoutCandles": len(group) - len(known),
            "averageExitEfficiency": round(sum(efficiencies) / len(efficiencies), 4) if efficiencies else None,
        })
    return currencies


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
