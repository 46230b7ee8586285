"""Performance figures over the user's closed positions, always per quote currency.

A *closed position* is an exit (a sell) whose FIFO match against earlier buys gave a realised P/L, in the
market's quote currency and net of the fees of both legs (see `apps.bias.engine.positions`). Amounts in
different quote currencies are never added together: every figure is a mapping quote → value.

Each figure set is a few aggregate SQL queries grouped by quote currency (streaks too, with window
functions): no per-position row leaves the database.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import connections
from django.db.models import Avg, Case, CharField, Count, F, IntegerField, Max, Min, Q, Sum, Value, When
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, StrIndex, Substr, TruncDate

from apps.bias.selectors import closed_position_queryset, trade_filtered_queryset
from apps.core.errors import ValidationFailed

ZERO = Decimal(0)
WIN = Q(realized_pnl__gt=0)
LOSS = Q(realized_pnl__lt=0)
BREAKDOWNS = ("hour", "weekday", "symbol", "label", "broker")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Filters:
    """Filters every figure accepts; all optional. `until` is exclusive; lists match any of their values."""

    since: datetime | None = None
    until: datetime | None = None
    symbols: tuple[str, ...] = ()
    brokers: tuple[str, ...] = ()
    sides: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    def kwargs(self) -> dict:
        return {"since": self.since, "until": self.until, "symbols": list(self.symbols) or None,
                "brokers": list(self.brokers) or None, "sides": list(self.sides) or None,
                "labels": list(self.labels) or None}

    def as_json(self) -> dict:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "symbols": list(self.symbols), "brokers": list(self.brokers), "sides": list(self.sides),
                "labels": list(self.labels)}


def money(value: Decimal | None) -> str | None:
    """A Decimal as plain text without exponent or trailing zeros ("12.5", "-0.000001", "0")."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def ratio(numerator: Decimal | float | None, denominator: Decimal | float | None, places: int = 4) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(float(Decimal(numerator) / Decimal(denominator)), places)


def quote_expression(prefix: str = ""):
    """SQL for a trade's quote currency: the stored one, else the part of the symbol after its first '-'."""
    symbol = F(f"{prefix}symbol")
    return Case(When(**{f"{prefix}quote_asset": ""}, then=Substr(symbol, StrIndex(symbol, Value("-")) + 1)),
                default=F(f"{prefix}quote_asset"), output_field=CharField())


def closed_positions(*, user, filters: Filters):
    """The filtered closed positions, annotated with `quote`."""
    return closed_position_queryset(user=user, **filters.kwargs()).annotate(quote=quote_expression("trade__"))


# --- summary --------------------------------------------------------------------------------------------

def performance_summary(*, user, filters: Filters) -> dict:
    """Closed positions, win rate, profit factor, expectancy, average win/loss, largest win/loss, longest
    streaks, average hold of winners vs losers, total fees and fees as a share of P/L — per quote currency.

    Three queries: the aggregates per (quote, symbol), the outcome signs in time order (streaks), and the
    fees of the filtered trades per (quote, symbol, fee asset)."""
    positions = closed_positions(user=user, filters=filters)
    empty = {"closed": 0, "wins": 0, "losses": 0, "gross_win": None, "gross_loss": None, "largest_win": None,
             "largest_loss": None, "hold_win": None, "hold_loss": None}
    totals = {row["quote"]: row for row in (
        positions.values("quote").order_by()
        .annotate(closed=Count("trade_id"), wins=Count("trade_id", filter=WIN), losses=Count("trade_id", filter=LOSS),
                  gross_win=Sum("realized_pnl", filter=WIN), gross_loss=Sum("realized_pnl", filter=LOSS),
                  largest_win=Max("realized_pnl", filter=WIN), largest_loss=Min("realized_pnl", filter=LOSS),
                  hold_win=Avg("held_hours", filter=WIN), hold_loss=Avg("held_hours", filter=LOSS)))}

    streaks = _streaks(positions)
    fees = _fees(user=user, filters=filters)
    currencies = []
    for quote in sorted((set(totals) | set(fees)) - {"__other__"}):
        total = totals.get(quote, empty)
        gross_win, gross_loss = total["gross_win"] or ZERO, total["gross_loss"] or ZERO
        net = gross_win + gross_loss
        fee = fees.get(quote, {"total": ZERO, "trades": 0})
        win_streak, loss_streak = streaks.get(quote, (0, 0))
        hold_win, hold_loss = total["hold_win"], total["hold_loss"]
        currencies.append({
            "quote": quote,
            "trades": fee["trades"],
            "closedPositions": total["closed"],
            "wins": total["wins"],
            "losses": total["losses"],
            "breakeven": total["closed"] - total["wins"] - total["losses"],
            "winRate": ratio(total["wins"], total["closed"]),
            "realizedPnl": money(net),
            "grossProfit": money(gross_win),
            "grossLoss": money(gross_loss),
            "profitFactor": ratio(gross_win, -gross_loss) if gross_loss else None,
            "expectancy": money(net / total["closed"]) if total["closed"] else None,
            "averageWin": money(gross_win / total["wins"]) if total["wins"] else None,
            "averageLoss": money(gross_loss / total["losses"]) if total["losses"] else None,
            "largestWin": money(total["largest_win"]),
            "largestLoss": money(total["largest_loss"]),
            "longestWinStreak": win_streak,
            "longestLossStreak": loss_streak,
            "averageHoldHoursWinners": round(hold_win, 2) if hold_win is not None else None,
            "averageHoldHoursLosers": round(hold_loss, 2) if hold_loss is not None else None,
            "fees": money(fee["total"]),
            "feesPctOfPnl": round(float(fee["total"] / abs(net) * 100), 2) if net else None,
        })
    return {"filters": filters.as_json(), "currencies": currencies,
            "otherFees": {asset: money(amount) for asset, amount in sorted(fees.get("__other__", {}).items())}
            if "__other__" in fees else {}}


STREAKS_SQL = """
SELECT quote, outcome, MAX(length) FROM (
    SELECT quote, outcome, COUNT(*) AS length FROM (
        SELECT quote, outcome,
               SUM(changed) OVER (PARTITION BY quote ORDER BY exit_ts, trade_id ROWS UNBOUNDED PRECEDING) AS run
        FROM (
            SELECT quote, outcome, exit_ts, trade_id,
                   CASE WHEN outcome = LAG(outcome) OVER (PARTITION BY quote ORDER BY exit_ts, trade_id)
                        THEN 0 ELSE 1 END AS changed
            FROM ({positions}) AS positions
        ) AS marked
    ) AS numbered
    WHERE outcome <> 0
    GROUP BY quote, outcome, run
) AS runs
GROUP BY quote, outcome
"""


def _streaks(positions) -> dict[str, tuple[int, int]]:
    """Longest runs of winning and of losing closed positions per quote, in exit time order (a break-even
    exit ends both): runs found in the database — each exit whose outcome differs from the one before starts
    a run, a running sum numbers the runs, and both windows share one sort."""
    rows = positions.annotate(
        outcome=Case(When(WIN, then=Value(1)), When(LOSS, then=Value(-1)), default=Value(0),
                     output_field=IntegerField()),
        exit_ts=F("trade__ts")).values("quote", "outcome", "exit_ts", "trade_id").order_by()
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(STREAKS_SQL.format(positions=sql), params)
        found = cursor.fetchall()
    out: dict[str, tuple[int, int]] = {}
    for quote, outcome, length in found:
        wins, losses = out.get(quote, (0, 0))
        out[quote] = (length, losses) if outcome == 1 else (wins, length)
    return out


def _fees(*, user, filters: Filters) -> dict:
    """Fees of the filtered trades in each quote currency: a fee in the quote is taken as is, a fee in the
    base asset is valued at the trade's price; a fee in a third asset (e.g. BNB) is kept apart, by asset,
    under "__other__". Also the number of trades per quote."""
    out: dict = {}
    trades = trade_filtered_queryset(user=user, **filters.kwargs())
    for row in (trades.annotate(quote=quote_expression()).values("quote", "symbol", "fee_asset").order_by()
                .annotate(trades=Count("id"), fee_sum=Sum("fee"), fee_value=Sum(F("fee") * F("price")))):
        quote = row["quote"]
        base = row["symbol"].split("-", 1)[0]
        entry = out.setdefault(quote, {"total": ZERO, "trades": 0})
        entry["trades"] += row["trades"]
        fee_asset = (row["fee_asset"] or "").upper()
        if row["fee_sum"] is None:
            continue
        if fee_asset in ("", quote.upper()):
            entry["total"] += row["fee_sum"]
        elif fee_asset == base.upper():
            entry["total"] += row["fee_value"]
        else:
            other = out.setdefault("__other__", {})
            other[fee_asset] = other.get(fee_asset, ZERO) + row["fee_sum"]
    return out


# --- equity and calendar --------------------------------------------------------------------------------

def _daily(*, user, filters: Filters) -> dict[str, dict[date, dict]]:
    """quote → day (UTC) → {pnl, trades, wins}: one grouped query."""
    out: dict[str, dict[date, dict]] = defaultdict(dict)
    for row in (closed_positions(user=user, filters=filters)
                .annotate(day=TruncDate("trade__ts", tzinfo=UTC))
                .values("quote", "day").order_by()
                .annotate(pnl=Sum("realized_pnl"), trades=Count("trade_id"), wins=Count("trade_id", filter=WIN))):
        out[row["quote"]][row["day"]] = {"pnl": row["pnl"], "trades": row["trades"], "wins": row["wins"]}
    return out


def equity_curve(*, user, filters: Filters) -> dict:
    """Cumulative realised P/L per UTC day and quote currency, with the drawdown under it (equity minus its
    running peak, the peak starting at 0) and the maximum drawdown."""
    series = []
    for quote, days in sorted(_daily(user=user, filters=filters).items()):
        equity, peak, worst = ZERO, ZERO, ZERO
        points = []
        for day in sorted(days):
            equity += days[day]["pnl"]
            peak = max(peak, equity)
            drawdown = equity - peak
            worst = min(worst, drawdown)
            points.append({"date": day.isoformat(), "pnl": money(days[day]["pnl"]), "equity": money(equity),
                           "drawdown": money(drawdown)})
        series.append({"quote": quote, "points": points, "maxDrawdown": money(worst), "final": money(equity)})
    return {"filters": filters.as_json(), "currencies": series}


def pnl_calendar(*, user, filters: Filters) -> dict:
    """Realised P/L, closed positions and wins per UTC day and quote currency (the heat map)."""
    series = []
    for quote, days in sorted(_daily(user=user, filters=filters).items()):
        series.append({"quote": quote, "days": [
            {"date": day.isoformat(), "pnl": money(v["pnl"]), "closedPositions": v["trades"], "wins": v["wins"]}
            for day, v in sorted(days.items())]})
    return {"filters": filters.as_json(), "currencies": series}


# --- breakdowns -----------------------------------------------------------------------------------------

def performance_breakdown(*, user, filters: Filters, by: str) -> dict:
    """Realised P/L, closed positions, wins and win rate per hour of day (UTC, 0–23), ISO weekday (1 = Monday),
    symbol, label (a position counts once under each label its exit carries) or broker — per quote."""
    if by not in BREAKDOWNS:
        raise ValidationFailed(fields={"by": [f"Choose one of: {', '.join(BREAKDOWNS)}."]})
    positions = closed_positions(user=user, filters=filters)
    if by == "hour":
        positions, key = positions.annotate(key=ExtractHour("trade__ts", tzinfo=UTC)), "key"
    elif by == "weekday":
        positions, key = positions.annotate(key=ExtractIsoWeekDay("trade__ts", tzinfo=UTC)), "key"
    else:
        key = {"symbol": "symbol", "broker": "trade__broker", "label": "trade__bias_tags__label"}[by]
    groups: dict[str, dict] = defaultdict(dict)
    rows = (positions.values("quote", key).order_by()
            .annotate(n=Count("trade_id", distinct=True), wins=Count("trade_id", filter=WIN, distinct=True),
                      pnl=Sum("realized_pnl")))
    for row in rows:
        if row[key] is not None:
            groups[row["quote"]][row[key]] = {"pnl": row["pnl"], "trades": row["n"], "wins": row["wins"]}
    currencies = []
    for quote, buckets in sorted(groups.items()):
        if by == "hour":
            keys = list(range(24))
        elif by == "weekday":
            keys = list(range(1, 8))
        else:
            keys = sorted(buckets)
        currencies.append({"quote": quote, "buckets": [
            {"key": k, "name": WEEKDAYS[k - 1] if by == "weekday" else str(k),
             "closedPositions": buckets.get(k, {}).get("trades", 0), "wins": buckets.get(k, {}).get("wins", 0),
             "winRate": ratio(buckets.get(k, {}).get("wins", 0), buckets.get(k, {}).get("trades", 0)),
             "pnl": money(buckets.get(k, {}).get("pnl", ZERO))}
            for k in keys]})
    return {"filters": filters.as_json(), "by": by, "currencies": currencies}


def exit_labels(*, user) -> list[str]:
    """The labels the user's closed positions carry (what the label filter can choose from)."""
    return sorted(label for label in closed_position_queryset(user=user)
                  .values_list("trade__bias_tags__label", flat=True).distinct().order_by() if label)


# --- what an account holds (the export / delete confirmation) -------------------------------------------

def account_data_counts(*, user) -> dict:
    """Rows per registered table (named in plain words) and stored files: what an export holds and a delete
    removes. One count per table."""
    from apps.core.userdata import user_data_sets, user_files

    tables = []
    for dataset in user_data_sets():
        rows = dataset.queryset(user).count()
        if rows:
            tables.append({"table": dataset.name, "name": str(dataset.model._meta.verbose_name_plural), "rows": rows})
    return {"tables": tables, "files": len(user_files(user))}
