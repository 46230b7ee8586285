"""Performance figures over the user's closed positions, always per quote currency.

A *closed position* is an exit (a sell) whose FIFO match against earlier buys gave a realised P/L, in the
market's quote currency and net of the fees of both legs (see `apps.bias.engine.positions`). Amounts in
different quote currencies are never added together: every figure is a mapping quote → value.

Every figure set is a few grouped SQL queries over the read model, kept in step with scoring by
`apps.analytics.services.readmodel`: `DailyRollup` (sums per UTC day, quote, symbol, broker and side),
`HourRollup` (per day, hour and quote), `LabelRollup` (per day, label and market) and `QuoteStreak` when the
filters allow (no label filter, bounds on whole UTC days; the hour sums also without market filters; the
stored streaks only without any filter), else `TradeFact` (one row per trade with its exit figures) and
`TradeFactLabel` (its labels), with streaks found by window functions. No per-position row leaves the database. Both sources give
the same figures (`tests/test_read_model.py` checks them against a full computation).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import ExtractIsoWeekDay

from apps.core.errors import ValidationFailed

from .models import DailyRollup, HourRollup, LabelRollup, QuoteStreak, TradeFact, TradeFactLabel
from .streaks import streaks as streaks_of

ZERO = Decimal(0)
CLOSED = Q(realized_pnl__isnull=False)
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

    def condition(self, prefix: str = "") -> Q:
        """These filters on a `TradeFact` reached through `prefix` ("" for the fact itself, "fact__" from a
        label row)."""
        condition = Q()
        if self.since is not None:
            condition &= Q(**{f"{prefix}ts__gte": self.since})
        if self.until is not None:
            condition &= Q(**{f"{prefix}ts__lt": self.until})
        condition &= self.market_condition(prefix)
        if self.labels:
            condition &= Q(Exists(TradeFactLabel.objects.filter(fact_id=OuterRef(f"{prefix}pk" if prefix else "pk"),
                                                                label__in=list(self.labels))))
        return condition

    def market_condition(self, prefix: str = "") -> Q:
        """The symbol, broker and side filters."""
        condition = Q()
        for field, values in (("symbol", self.symbols), ("broker", self.brokers), ("side", self.sides)):
            if values:
                condition &= Q(**{f"{prefix}{field}__in": list(values)})
        return condition

    def whole_days(self) -> tuple[date | None, date | None] | None:
        """(first day, day after the last) when these filters can be answered per UTC day — no label filter,
        bounds at midnight UTC — else None."""
        if self.labels:
            return None
        days = []
        for moment in (self.since, self.until):
            if moment is not None and moment.astimezone(UTC).time() != time(0):
                return None
            days.append(moment.astimezone(UTC).date() if moment is not None else None)
        return days[0], days[1]

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


def trade_facts(*, user, filters: Filters):
    """The user's filtered trades in the read model (each with `quote`)."""
    return TradeFact.objects.filter(user=user).filter(filters.condition())


def closed_positions(*, user, filters: Filters):
    """The filtered closed positions: exits with a realised P/L."""
    return trade_facts(user=user, filters=filters).filter(CLOSED)


def daily_rollups(*, user, filters: Filters):
    """The user's daily rollup rows these filters select, or None when they need the per-trade rows (a label
    filter, a bound inside a day)."""
    days = filters.whole_days()
    if days is None:
        return None
    return _day_bounded(DailyRollup.objects.filter(user=user).filter(filters.market_condition()), days)


def _day_bounded(rows, days: tuple[date | None, date | None]):
    """Rollup rows of the days [first, end) (either bound may be None)."""
    if days[0] is not None:
        rows = rows.filter(day__gte=days[0])
    if days[1] is not None:
        rows = rows.filter(day__lt=days[1])
    return rows


def _totals(*, user, filters: Filters) -> dict[str, dict]:
    """quote → the summary's sums and counts: from the daily rollup when the filters allow, else from the
    per-trade rows (one grouped query either way)."""
    rollups = daily_rollups(user=user, filters=filters)
    if rollups is not None:
        rows = rollups.values("quote").order_by().annotate(
            trades=Sum("trades"), fees=Sum("fees"), closed=Sum("closed"), wins=Sum("wins"), losses=Sum("losses"),
            gross_win=Sum("gross_win"), gross_loss=Sum("gross_loss"), largest_win=Max("largest_win"),
            largest_loss=Min("largest_loss"), hold_win=Sum("hold_win_hours"), hold_win_n=Sum("hold_win_count"),
            hold_loss=Sum("hold_loss_hours"), hold_loss_n=Sum("hold_loss_count"))
    else:
        rows = trade_facts(user=user, filters=filters).values("quote").order_by().annotate(
            trades=Count("pk"), fees=Sum("fee"), closed=Count("pk", filter=CLOSED), wins=Count("pk", filter=WIN),
            losses=Count("pk", filter=LOSS), gross_win=Sum("realized_pnl", filter=WIN),
            gross_loss=Sum("realized_pnl", filter=LOSS), largest_win=Max("realized_pnl", filter=WIN),
            largest_loss=Min("realized_pnl", filter=LOSS), hold_win=Sum("held_hours", filter=WIN),
            hold_win_n=Count("held_hours", filter=WIN), hold_loss=Sum("held_hours", filter=LOSS),
            hold_loss_n=Count("held_hours", filter=LOSS))
    return {row["quote"]: row for row in rows}


def _streaks(*, user, filters: Filters) -> dict[str, tuple[int, int]]:
    """quote → (longest winning run, longest losing run): stored for the unfiltered history, else found."""
    if filters == Filters():
        return {quote: (wins, losses) for quote, wins, losses in QuoteStreak.objects.filter(user=user)
                .values_list("quote", "longest_win", "longest_loss")}
    return streaks_of(closed_positions(user=user, filters=filters))


# --- summary --------------------------------------------------------------------------------------------

def performance_summary(*, user, filters: Filters) -> dict:
    """Closed positions, win rate, profit factor, expectancy, average win/loss, largest win/loss, longest
    streaks, average hold of winners vs losers, total fees and fees as a share of P/L — per quote currency.

    Three queries: the sums and counts per quote, the longest streaks, and the fees in a third asset."""
    totals = _totals(user=user, filters=filters)
    streaks = _streaks(user=user, filters=filters)
    other_fees = dict(trade_facts(user=user, filters=filters).exclude(fee_other_asset="")
                      .values("fee_other_asset").order_by().annotate(total=Sum("fee_other"))
                      .values_list("fee_other_asset", "total"))
    currencies = []
    for quote in sorted(totals):
        total = totals[quote]
        gross_win, gross_loss = total["gross_win"] or ZERO, total["gross_loss"] or ZERO
        net = gross_win + gross_loss
        fee = total["fees"] or ZERO
        win_streak, loss_streak = streaks.get(quote, (0, 0))
        hold_win = total["hold_win"] / total["hold_win_n"] if total["hold_win_n"] else None
        hold_loss = total["hold_loss"] / total["hold_loss_n"] if total["hold_loss_n"] else None
        currencies.append({
            "quote": quote,
            "trades": total["trades"],
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
            "fees": money(fee),
            "feesPctOfPnl": round(float(fee / abs(net) * 100), 2) if net else None,
        })
    return {"filters": filters.as_json(), "currencies": currencies,
            "otherFees": {asset: money(amount) for asset, amount in sorted(other_fees.items())}}


# --- equity and calendar --------------------------------------------------------------------------------

def _daily(*, user, filters: Filters) -> dict[str, dict[date, dict]]:
    """quote → day (UTC) → {pnl, trades, wins}: one grouped query."""
    out: dict[str, dict[date, dict]] = defaultdict(dict)
    rollups = daily_rollups(user=user, filters=filters)
    if rollups is not None:
        rows = (rollups.filter(closed__gt=0).values("quote", "day").order_by()
                .annotate(pnl=Sum("pnl"), trades=Sum("closed"), wins=Sum("wins")))
    else:
        rows = (closed_positions(user=user, filters=filters).values("quote", "day").order_by()
                .annotate(pnl=Sum("realized_pnl"), trades=Count("pk"), wins=Count("pk", filter=WIN)))
    for row in rows:
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
    symbol, label (a position counts once under each label its exit carries) or broker — per quote.

    One grouped query over day sums when the bounds are whole UTC days: `HourRollup` for the hour (no market
    filter either), `LabelRollup` for the label, `DailyRollup` for the others (no label filter); else over
    the per-trade rows."""
    if by not in BREAKDOWNS:
        raise ValidationFailed(fields={"by": [f"Choose one of: {', '.join(BREAKDOWNS)}."]})
    days = filters.whole_days()
    if by == "label" and days is not None:
        rows = (_day_bounded(LabelRollup.objects.filter(user=user).filter(filters.market_condition()), days)
                .values("quote", key=F("label")).order_by()
                .annotate(n=Sum("closed"), wins=Sum("wins"), pnl=Sum("pnl")))
    elif by == "label":
        rows = (TradeFactLabel.objects.filter(user=user, fact__user=user, fact__realized_pnl__isnull=False)
                .filter(filters.condition("fact__")).values(quote=F("fact__quote"), key=F("label")).order_by()
                .annotate(n=Count("fact_id"), wins=Count("fact_id", filter=Q(fact__realized_pnl__gt=0)),
                          pnl=Sum("fact__realized_pnl")))
    elif by == "hour" and days is not None and not filters.market_condition():
        rows = (_day_bounded(HourRollup.objects.filter(user=user), days).values("quote", key=F("hour")).order_by()
                .annotate(n=Sum("closed"), wins=Sum("wins"), pnl=Sum("pnl")))
    elif by != "hour" and (rollups := daily_rollups(user=user, filters=filters)) is not None:
        key = ExtractIsoWeekDay("day") if by == "weekday" else F(by)
        rows = (rollups.filter(closed__gt=0).values("quote", key=key).order_by()
                .annotate(n=Sum("closed"), wins=Sum("wins"), pnl=Sum("pnl")))
    else:
        rows = (closed_positions(user=user, filters=filters).values("quote", key=F(by)).order_by()
                .annotate(n=Count("pk"), wins=Count("pk", filter=WIN), pnl=Sum("realized_pnl")))
    groups: dict[str, dict] = defaultdict(dict)
    for row in rows:
        groups[row["quote"]][row["key"]] = {"pnl": row["pnl"], "trades": row["n"], "wins": row["wins"]}
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
    return list(TradeFactLabel.objects.filter(user=user, fact__realized_pnl__isnull=False)
                .values_list("label", flat=True).distinct().order_by("label"))


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
