"""Your rules on your history: the trades of a period replayed as the rules would have acted.

Pure: trade values, rules and candle arrays in, a JSON-ready document out (no database). The rules are
judged by the scoring engine's own rule evaluation (``apps.bias.services.rule_checks.rule_outcomes``), fed the
state the trade would have seen in the replay (the trades kept so far, the losses of the exits kept).

P/L of the period (per quote currency, never summed across them): every unit bought in the period,
matched first in, first out with the period's sells — realised P/L of the matched parts (both sides' fees
pro rata) plus the units still held at the end marked to the last close at or before it. Sells of units
bought before the period are outside it (their cost is not in the replay).

What each rule does, trade by trade in time order:

* ``avoidSpikeOverPct`` — a buy after a rise of more than ``pct`` over ``lookbackHours`` is skipped.
* ``maxTradesPerDay`` — a trade that would take the UTC day past ``count`` kept trades is skipped; a
  skipped sell's units are held to the end of the period instead.
* ``cooldownAfterLosses`` — a buy within ``hours`` after ``losses`` losing exits in a row is skipped.
* ``minHoldHours`` — a sell of units held less than ``hours`` is moved to the close of the first candle
  that closes at or after the minimum hold (or the end of the period, whichever is first).
* ``stopLossPct`` — a sell of units below ``pct`` percent under their buy price is moved to the stop: those
  units are sold at buy price × (1 − pct/100), as a stop order filled at its price would have (gaps through
  the stop are not modelled). A sell already moved by ``minHoldHours`` is left to that rule.
* ``maxLossPerDay`` is judged by the gate before a trade and changes nothing here.

Skipping a buy skips the exits of its units: its whole P/L leaves the result (the effect is on the buy);
a sell whose units all came from skipped buys is reported skipped, with no effect of its own.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from apps.bias.services.rule_checks import rule_outcomes

from .counterfactual import HOUR_NS, money, price_of

ZERO = Decimal(0)
STALE_BARS = 3
ENTRY_RULES = ("avoidSpikeOverPct", "maxTradesPerDay", "cooldownAfterLosses")


@dataclass(frozen=True, slots=True)
class TradeRow:
    id: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    fee: Decimal
    ts: datetime
    quote: str


@dataclass(frozen=True, slots=True)
class CloseSeries:
    """One symbol's hourly closes: close times (ns, ascending) and prices."""

    close_ns: np.ndarray
    close: np.ndarray

    def last_at(self, moment_ns: int) -> float | None:
        pos = int(np.searchsorted(self.close_ns, moment_ns, side="right")) - 1
        return None if pos < 0 else float(self.close[pos])

    def first_at_or_after(self, moment_ns: int, limit_ns: int) -> float | None:
        pos = int(np.searchsorted(self.close_ns, moment_ns, side="left"))
        if pos >= len(self.close_ns) or self.close_ns[pos] > limit_ns:
            return None
        return float(self.close[pos])


class _Lot:
    __slots__ = ("index", "qty", "price", "fee_per_unit", "ts", "kept")

    def __init__(self, index: int, trade: TradeRow, kept: bool) -> None:
        self.index, self.qty, self.price, self.ts, self.kept = index, trade.qty, trade.price, trade.ts, kept
        self.fee_per_unit = trade.fee / trade.qty if trade.qty else ZERO


def trade_order_key(trade: TradeRow) -> tuple:
    """Time order; buys before sells at the same time, then ids (the order positions are matched in)."""
    return (trade.ts, 0 if trade.side == "BUY" else 1, trade.id)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def spike_rises(trades: list[TradeRow], series: dict[str, CloseSeries], hours: float) -> list[float | None]:
    """Per trade: close of the last candle closed at or before it (within 3 candles) over the close of the
    last candle closed `hours` before that one, minus 1 — as the scoring engine measures it. Vectorised
    per symbol."""
    out: list[float | None] = [None] * len(trades)
    by_symbol: dict[str, list[int]] = {}
    for i, trade in enumerate(trades):
        by_symbol.setdefault(trade.symbol, []).append(i)
    for symbol, indices in by_symbol.items():
        closes = series.get(symbol)
        if closes is None or not len(closes.close_ns):
            continue
        idx = np.array(indices)
        at = np.array([_ns(trades[i].ts) for i in indices], dtype=np.int64)
        pos = np.searchsorted(closes.close_ns, at, side="right") - 1
        ok = pos >= 0
        ok[ok] = at[ok] - closes.close_ns[pos[ok]] <= STALE_BARS * HOUR_NS
        base = np.full(len(idx), -1)
        base[ok] = np.searchsorted(closes.close_ns, closes.close_ns[pos[ok]] - int(hours * 3600 * 1e9), side="right") - 1
        ok &= base >= 0
        rise = np.full(len(idx), np.nan)
        rise[ok] = closes.close[pos[ok]] / closes.close[base[ok]] - 1.0
        for k, value in zip(idx.tolist(), rise.tolist(), strict=True):
            out[k] = None if value != value else value
    return out


def backtest(*, trades: list[TradeRow], rules: list[dict], parsed: list, series: dict[str, CloseSeries],
             end: datetime) -> dict:
    """Replay `trades` (the period's, any order) under `rules` (`[{kind, params}]`, `parsed` their engine
    form); `series` holds each symbol's closes up to `end`, where open units are marked."""
    ordered = sorted(trades, key=trade_order_key)
    n = len(ordered)
    end_ns = _ns(end)
    rises = [spike_rises(ordered, series, values["lookbackHours"])
             if rule.kind == "avoidSpikeOverPct" and values is not None else [None] * n
             for rule, values in parsed]
    marks = {symbol: s.last_at(end_ns) for symbol, s in series.items()}
    stop_pct = next((Decimal(str(values["pct"])) for rule, values in parsed if rule.kind == "stopLossPct" and values),
                    None)

    actions: list[list] = [["kept", None, ZERO] for _ in range(n)]  # action, rule, effect
    lot_pnl: dict[int, Decimal] = {}
    lots: dict[str, deque[_Lot]] = {}
    day = None
    count_today = loss_streak = 0
    last_loss: datetime | None = None
    unpriced: dict[str, Decimal] = {}
    unvalued: set[str] = set()

    for i, trade in enumerate(ordered):
        if trade.ts.astimezone(UTC).date() != day:
            day, count_today = trade.ts.astimezone(UTC).date(), 0
        since_loss = (trade.ts - last_loss).total_seconds() / 3600.0 if last_loss else None
        book = lots.setdefault(trade.symbol, deque())
        if trade.side == "BUY":
            context = {"side": "BUY", "trades_today": count_today + 1, "loss_streak": loss_streak,
                       "hours_since_last_loss": since_loss, "min_held_hours": None, "matched_share": 0.0}
            broken = _first_broken(rule_outcomes(context=context, parsed=parsed, spike_rises=[r[i] for r in rises]),
                                   ENTRY_RULES)
            book.append(_Lot(i, trade, kept=broken is None))
            lot_pnl[i] = ZERO
            if broken is None:
                count_today += 1
            else:
                actions[i][:2] = ["skipped", broken]
            continue
        # a sell: match FIFO as positions do; the actual P/L of each piece belongs to its lot
        pieces: list[tuple[_Lot, Decimal, Decimal]] = []  # lot, qty, actual P/L
        remaining = trade.qty
        while remaining > 0 and book:
            lot = book[0]
            take = min(remaining, lot.qty)
            pnl = take * (trade.price - lot.price) - take * lot.fee_per_unit - trade.fee * take / trade.qty
            pieces.append((lot, take, pnl))
            lot_pnl[lot.index] += pnl
            lot.qty -= take
            remaining -= take
            if lot.qty <= 0:
                book.popleft()
        kept = [(lot, take, pnl) for lot, take, pnl in pieces if lot.kept]
        if pieces and not kept:
            actions[i][:2] = ["skipped", actions[pieces[0][0].index][1]]
            continue
        kept_qty = sum((take for _, take, _ in kept), ZERO)
        held = [(trade.ts - lot.ts).total_seconds() / 3600.0 for lot, _, _ in kept]
        context = {"side": "SELL", "trades_today": count_today + 1, "loss_streak": loss_streak,
                   "hours_since_last_loss": since_loss, "min_held_hours": min(held) if held else None,
                   "matched_share": float(kept_qty / trade.qty) if trade.qty else 0.0}
        outcomes = rule_outcomes(context=context, parsed=parsed, spike_rises=[None] * len(parsed))
        mark = marks.get(trade.symbol)
        if kept and _first_broken(outcomes, ("maxTradesPerDay",)):
            if mark is not None:  # the units are held to the end of the period instead
                mark_price = price_of(mark)
                effect = sum((take * (mark_price - trade.price) + trade.fee * take / trade.qty
                              for _, take, _ in kept), ZERO)
                actions[i] = ["skipped", "maxTradesPerDay", effect]
                continue
            unvalued.add(trade.symbol)
        count_today += 1
        realised = sum((pnl for _, _, pnl in kept), ZERO)
        hold_rule = _first_broken(outcomes, ("minHoldHours",)) if kept else None
        if hold_rule is not None:
            hours = next(values["hours"] for rule, values in parsed if rule.kind == "minHoldHours" and values)
            closes = series.get(trade.symbol)
            effect = ZERO
            for lot, take, _ in kept:
                if (trade.ts - lot.ts).total_seconds() / 3600.0 >= hours:
                    continue
                moved = closes.first_at_or_after(_ns(lot.ts) + int(hours * 3600 * 1e9), end_ns) if closes else None
                moved = moved if moved is not None else mark
                if moved is None:
                    continue
                effect += take * (price_of(moved) - trade.price)
            actions[i] = ["exitMoved", "minHoldHours", effect]
            realised += effect
        elif kept and stop_pct is not None:
            effect = _stop_effect(kept, trade, stop_pct)
            if effect:
                actions[i] = ["exitMoved", "stopLossPct", effect]
                realised += effect
        if kept:
            if realised < 0:
                loss_streak, last_loss = loss_streak + 1, trade.ts
            else:
                loss_streak = 0

    # units still held at the end, marked to the last close
    for symbol, book in lots.items():
        mark = marks.get(symbol)
        for lot in book:
            if lot.qty <= 0:
                continue
            if mark is None:
                unpriced[symbol] = unpriced.get(symbol, ZERO) + lot.qty
                continue
            lot_pnl[lot.index] += lot.qty * (price_of(mark) - lot.price) - lot.qty * lot.fee_per_unit
    for index, pnl in lot_pnl.items():
        if actions[index][0] == "skipped":
            actions[index][2] = -pnl
    return _document(ordered, actions, lot_pnl, rules, unpriced, unvalued)


def _stop_effect(kept: list, trade: TradeRow, stop_pct: Decimal) -> Decimal:
    """What selling each kept piece below its stop at the stop price instead would have changed."""
    effect = ZERO
    for lot, take, _ in kept:
        stop = lot.price * (1 - stop_pct / 100)
        if trade.price < stop:
            effect += take * (stop - trade.price)
    return effect


def _first_broken(outcomes: list[dict], kinds: tuple[str, ...]) -> str | None:
    return next((o["kind"] for o in outcomes if o["status"] == "broken" and o["kind"] in kinds), None)


def _document(ordered, actions, lot_pnl, rules, unpriced, unvalued) -> dict:
    quotes: dict[str, dict] = {}
    kinds = list(dict.fromkeys(rule["kind"] for rule in rules))

    def figures(quote: str) -> dict:
        if quote not in quotes:
            quotes[quote] = {"actual": ZERO, "effect": ZERO,
                             "byRule": {kind: {"tradesAffected": 0, "pnlEffect": ZERO} for kind in kinds}}
        return quotes[quote]

    trades_out = []
    for i, trade in enumerate(ordered):
        box = figures(trade.quote)
        if i in lot_pnl:
            box["actual"] += lot_pnl[i]
        action, rule, effect = actions[i]
        if action != "kept":
            box["effect"] += effect
            entry = box["byRule"].setdefault(rule, {"tradesAffected": 0, "pnlEffect": ZERO})
            entry["tradesAffected"] += 1
            entry["pnlEffect"] += effect
        trades_out.append({"tradeId": trade.id, "symbol": trade.symbol, "side": trade.side,
                           "ts": trade.ts.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                           "action": action, "rule": rule, "pnlEffect": money(effect)})
    per_quote = {}
    for quote, box in sorted(quotes.items()):
        per_quote[quote] = {
            "actualPnl": money(box["actual"]), "rulesPnl": money(box["actual"] + box["effect"]),
            "difference": money(box["effect"]),
            "byRule": [{"kind": kind, "tradesAffected": v["tradesAffected"], "pnlEffect": money(v["pnlEffect"])}
                       for kind, v in box["byRule"].items()],
        }
    single = next(iter(per_quote.values())) if len(per_quote) == 1 else None
    by_rule = []
    for kind in kinds:
        affected = sum(next(r["tradesAffected"] for r in q["byRule"] if r["kind"] == kind) for q in per_quote.values())
        by_rule.append({"kind": kind, "tradesAffected": affected,
                        "pnlEffect": next(r["pnlEffect"] for r in single["byRule"] if r["kind"] == kind)
                        if single else None})
    notes = []
    if len(per_quote) > 1:
        notes.append("Your trades settle in several currencies: P/L is given per currency (perQuoteCurrency), "
                     "never added up across them.")
    for symbol, qty in sorted(unpriced.items()):
        notes.append(f"No stored candle to value {money(qty)} {symbol.split('-')[0]} held at the end of the period: "
                     "those units are left out.")
    for symbol in sorted(unvalued):
        notes.append(f"A {symbol} sale past your daily limit was kept: no stored candle values holding it instead.")
    return {
        "quoteCurrency": next(iter(per_quote)) if single else None,
        "actualPnl": single["actualPnl"] if single else None,
        "rulesPnl": single["rulesPnl"] if single else None,
        "difference": single["difference"] if single else None,
        "byRule": by_rule,
        "trades": trades_out,
        "perQuoteCurrency": per_quote,
        "rules": rules,
        "notes": notes,
    }
