"""The labelled scenario suite: generated markets and trade sequences whose right labels are known by
construction. Each builder returns a Scenario; only its ``expected`` trades are scored and checked."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from apps.bias.engine import RuleInput, compute_indicators

from .markets import Book, after_close, price_at, walk

BTC, ETH = "BTC-USD", "ETH-USD"


@dataclass
class Scenario:
    name: str
    book: Book
    candles: dict[str, pd.DataFrame]
    expected: dict[str, set[str]]
    rules: list[RuleInput] = field(default_factory=list)
    notes: dict = field(default_factory=dict)


def fee(price, qty=1) -> str:
    return str(round(float(price) * float(qty) * 0.0005, 6))


def _find(candles: pd.DataFrame, rows: range, predicate) -> int | None:
    ind = compute_indicators(candles)
    for row in rows:
        if predicate(ind.iloc[row]):
            return row
    return None


def _search(make_market, rows: range, predicate, seeds=range(200)):
    """The first (seed, row) whose indicators satisfy ``predicate`` (deterministic)."""
    for seed in seeds:
        candles = make_market(seed)
        row = _find(candles, rows, predicate)
        if row is not None:
            return candles, row
    raise AssertionError("no generated market satisfies the scenario's predicate")


def _calm_history(book: Book, candles: pd.DataFrame, symbol: str, prefix: str) -> None:
    """One earlier winning round trip, long before the scenario (context only)."""
    book.add(f"{prefix}-ctx-b", symbol, "BUY", 1, price_at(candles, 60), after_close(candles, 60))
    book.add(f"{prefix}-ctx-s", symbol, "SELL", 1, price_at(candles, 60) + 1, after_close(candles, 70))


# ---- FOMO ---------------------------------------------------------------------------------------------

def fomo(seed: int, total: float) -> Scenario:
    candles = walk(hours=24 * 15, seed=seed, vol=0.003, shapes=((300, 24, total),))
    book = Book()
    _calm_history(book, candles, BTC, "f")
    p = price_at(candles, 323)
    book.add("fomo", BTC, "BUY", "0.5", p, after_close(candles, 323), fee=fee(p, 0.5))
    return Scenario(f"buy after a {total:+.0%} day (seed {seed})", book, {BTC: candles}, {"fomo": {"FOMO"}})


def fomo_noisy(seed: int) -> Scenario:
    """+12% over the day with a choppy run, RSI in the high 70s."""
    def market(s):
        return walk(hours=24 * 15, seed=s, vol=0.011, shapes=((300, 24, 0.12),))
    candles, row = _search(market, range(323, 324), lambda r: 74 <= r["RSI_14"] <= 82 and r["BB_pos"] >= 0.8,
                           seeds=range(seed, seed + 400))
    book = Book()
    p = price_at(candles, row)
    book.add("fomo-rsi78", BTC, "BUY", 1, p, after_close(candles, row), fee=fee(p))
    return Scenario("buy after +12% day at RSI ~78", book, {BTC: candles}, {"fomo-rsi78": {"FOMO"}},
                    notes={"RSI": round(float(compute_indicators(candles)["RSI_14"].iloc[row]), 1)})


def fomo_near_miss_move() -> Scenario:
    candles = walk(hours=24 * 15, seed=5, vol=0.003, shapes=((300, 24, 0.079),))
    book = Book()
    p = price_at(candles, 323)
    book.add("fomo-7.9", BTC, "BUY", 1, p, after_close(candles, 323), fee=fee(p))
    return Scenario("buy after +7.9% day (RSI and %B past their lines)", book, {BTC: candles}, {"fomo-7.9": {"NONE"}})


def fomo_near_miss(name: str, predicate) -> Scenario:
    def market(s):
        return walk(hours=24 * 15, seed=s, vol=0.009, shapes=((300, 24, 0.10),))
    candles, row = _search(market, range(318, 330), predicate)
    book = Book()
    p = price_at(candles, row)
    book.add(name, BTC, "BUY", 1, p, after_close(candles, row), fee=fee(p))
    return Scenario(f"FOMO near miss: {name}", book, {BTC: candles}, {name: {"NONE"}})


# ---- PANIC --------------------------------------------------------------------------------------------

def panic(seed: int, total: float) -> Scenario:
    candles = walk(hours=24 * 15, seed=seed, vol=0.003, shapes=((300, 24, total),))
    book = Book()
    p = price_at(candles, 290)
    book.add("p-b", BTC, "BUY", 1, p, after_close(candles, 290), fee=fee(p))
    q = price_at(candles, 323)
    book.add("panic", BTC, "SELL", 1, q, after_close(candles, 323), fee=fee(q))
    return Scenario(f"loss-making sell after a {total:.0%} slide (seed {seed})", book, {BTC: candles},
                    {"panic": {"PANIC"}})


def panic_near_miss_gain() -> Scenario:
    candles = walk(hours=24 * 15, seed=21, vol=0.003, shapes=((150, 100, 0.25), (300, 24, -0.09)))
    book = Book()
    p = price_at(candles, 140)
    book.add("g-b", BTC, "BUY", 1, p, after_close(candles, 140), fee=fee(p))
    q = price_at(candles, 323)
    book.add("gain-after-slide", BTC, "SELL", 1, q, after_close(candles, 323), fee=fee(q))
    return Scenario("sell at a gain after a -9% slide", book, {BTC: candles}, {"gain-after-slide": {"NONE"}})


def panic_near_miss_unknown() -> Scenario:
    candles = walk(hours=24 * 15, seed=22, vol=0.003, shapes=((300, 24, -0.10),))
    book = Book()
    q = price_at(candles, 323)
    book.add("unknown-pnl", BTC, "SELL", 1, q, after_close(candles, 323), fee=fee(q))
    return Scenario("sell after a slide with no prior buy (unknown P/L)", book, {BTC: candles},
                    {"unknown-pnl": {"NONE"}})


def panic_near_miss_shallow() -> Scenario:
    candles = walk(hours=24 * 15, seed=23, vol=0.0008, shapes=((300, 24, -0.045),))
    book = Book()
    p = price_at(candles, 296)
    book.add("s-b", BTC, "BUY", 1, p, after_close(candles, 296), fee=fee(p))
    q = price_at(candles, 323)
    book.add("shallow-slide", BTC, "SELL", 1, q, after_close(candles, 323), fee=fee(q))
    return Scenario("loss-making sell after a -4.5% slide", book, {BTC: candles}, {"shallow-slide": {"NONE"}})


def panic_near_miss_rsi() -> Scenario:
    """Loss and a deep drawdown, but RSI already recovering (36–45)."""
    def market(s):
        return walk(hours=24 * 15, seed=s, vol=0.004, shapes=((290, 24, -0.12), (314, 8, 0.03)))
    candles, row = _search(market, range(318, 330),
                           lambda r: 36 <= r["RSI_14"] <= 45 and r["drawdown_recent"] >= 0.07)
    book = Book()
    p = price_at(candles, 280)
    book.add("r-b", BTC, "BUY", 1, p, after_close(candles, 280), fee=fee(p))
    q = price_at(candles, row)
    book.add("rsi-recovering", BTC, "SELL", 1, q, after_close(candles, row), fee=fee(q))
    return Scenario("loss-making sell in a drawdown with RSI ~40", book, {BTC: candles}, {"rsi-recovering": {"NONE"}})


# ---- REVENGE ------------------------------------------------------------------------------------------

def _loss_then(seed: int, *, reentry_row: int, bounce: float = 0.03) -> tuple[Book, pd.DataFrame]:
    """Buy at 200, a 4% dip to 230, sell there at a loss; the market bounces afterwards."""
    candles = walk(hours=24 * 12, seed=seed, vol=0.001, shapes=((201, 30, -0.04), (231, 5, bounce)))
    book = Book()
    p = price_at(candles, 200)
    book.add("l-b", BTC, "BUY", 1, p, after_close(candles, 200), fee=fee(p))
    q = price_at(candles, 230)
    book.add("l-s", BTC, "SELL", 1, q, after_close(candles, 230), fee=fee(q))
    return book, candles


def revenge_same_symbol_larger(seed: int) -> Scenario:
    book, candles = _loss_then(seed, reentry_row=232)
    p = price_at(candles, 232)
    book.add("revenge", BTC, "BUY", "1.6", p, after_close(candles, 232), fee=fee(p, 1.6))
    return Scenario(f"re-entry 2 h after a loss, 1.6x size (seed {seed})", book, {BTC: candles}, {"revenge": {"REVENGE"}})


def revenge_other_symbol_larger() -> Scenario:
    book, candles = _loss_then(31, reentry_row=231)
    eth = walk(hours=24 * 12, seed=32, vol=0.001, drift=0.0004, start_price=20.0)
    p = price_at(eth, 231)
    qty = round(float(price_at(candles, 200)) * 2 / float(p), 4)
    book.add("revenge-eth", ETH, "BUY", qty, p, after_close(eth, 231), fee=fee(p, qty))
    return Scenario("re-entry in another market 1 h after a loss, 2x size", book, {BTC: candles, ETH: eth},
                    {"revenge-eth": {"REVENGE"}})


def revenge_near_miss_late() -> Scenario:
    book, candles = _loss_then(33, reentry_row=237, bounce=0.04)
    p = price_at(candles, 237)
    book.add("late-reentry", BTC, "BUY", "1.6", p, after_close(candles, 237), fee=fee(p, 1.6))
    return Scenario("larger re-entry 7 h after a loss", book, {BTC: candles}, {"late-reentry": {"NONE"}})


def revenge_near_miss_other_smaller() -> Scenario:
    book, candles = _loss_then(34, reentry_row=231)
    eth = walk(hours=24 * 12, seed=35, vol=0.001, drift=0.0004, start_price=20.0)
    p = price_at(eth, 231)
    book.add("small-other", ETH, "BUY", 1, p, after_close(eth, 231), fee=fee(p))
    return Scenario("small entry in another market 1 h after a loss", book, {BTC: candles, ETH: eth},
                    {"small-other": {"NONE"}})


# ---- DISCIPLINE ---------------------------------------------------------------------------------------

def discipline_support_and_hold(seed: int) -> Scenario:
    candles = walk(hours=24 * 12, seed=seed, vol=0.0008, shapes=((150, 48, -0.03), (198, 10, 0.0)))
    book = Book()
    p = price_at(candles, 205)
    book.add("d-buy", BTC, "BUY", 1, p, after_close(candles, 205), fee=fee(p))
    q = price_at(candles, 240)
    book.add("d-sell", BTC, "SELL", 1, q, after_close(candles, 240), fee=fee(q))
    return Scenario(f"calm entry at support, held 35 h past a 24 h minimum (seed {seed})", book, {BTC: candles},
                    {"d-buy": {"DISCIPLINE"}, "d-sell": {"DISCIPLINE"}}, rules=[RuleInput("minHoldHours", {"hours": 24})])


def discipline_spike_rule_kept() -> Scenario:
    candles = walk(hours=24 * 12, seed=41, vol=0.0008, drift=0.0008)
    book = Book()
    p = price_at(candles, 220)
    book.add("kept-spike-rule", BTC, "BUY", 1, p, after_close(candles, 220), fee=fee(p))
    return Scenario("entry in a calm uptrend that keeps the no-chasing rule", book, {BTC: candles},
                    {"kept-spike-rule": {"DISCIPLINE"}}, rules=[RuleInput("avoidSpikeOverPct", {"pct": 5, "lookbackHours": 24})])


def discipline_near_miss_short_hold() -> Scenario:
    candles = walk(hours=24 * 12, seed=42, vol=0.0008, shapes=((150, 48, -0.03), (198, 10, 0.0)))
    book = Book()
    p = price_at(candles, 205)
    book.add("n-buy", BTC, "BUY", 1, p, after_close(candles, 205), fee=fee(p))
    q = price_at(candles, 215)
    book.add("short-hold", BTC, "SELL", 1, q, after_close(candles, 215), fee=fee(q))
    return Scenario("sell after 10 h against a 24 h minimum hold", book, {BTC: candles},
                    {"n-buy": {"DISCIPLINE"}, "short-hold": {"NONE"}}, rules=[RuleInput("minHoldHours", {"hours": 24})])


def discipline_near_miss_no_support() -> Scenario:
    candles = walk(hours=24 * 12, seed=43, vol=0.0008, drift=0.0008)
    book = Book()
    p = price_at(candles, 220)
    book.add("mid-trend", BTC, "BUY", 1, p, after_close(candles, 220), fee=fee(p))
    return Scenario("entry mid-uptrend, far from support, no rules", book, {BTC: candles}, {"mid-trend": {"NONE"}})


def discipline_near_miss_spike_rule_broken() -> Scenario:
    candles = walk(hours=24 * 12, seed=44, vol=0.0008, shapes=((196, 24, 0.06),))
    book = Book()
    p = price_at(candles, 219)
    book.add("broke-spike-rule", BTC, "BUY", 1, p, after_close(candles, 219), fee=fee(p))
    return Scenario("entry after +6% in 24 h against a 5% no-chasing rule", book, {BTC: candles},
                    {"broke-spike-rule": {"NONE"}}, rules=[RuleInput("avoidSpikeOverPct", {"pct": 5, "lookbackHours": 24})])


# ---- OVERTRADING --------------------------------------------------------------------------------------

def overtrading(seed: int) -> Scenario:
    days = 24
    candles = walk(hours=24 * (days + 3), seed=seed, vol=0.0006, drift=0.0008)
    book = Book()
    for day in range(2, days):
        for k, (side, hour) in enumerate((("BUY", 10), ("SELL", 14))):
            row = day * 24 + hour
            p = price_at(candles, row)
            book.add(f"base-{day}-{k}", BTC, side, 1, p, after_close(candles, row), fee=fee(p))
    expected = {}
    burst_day = days * 24
    for k in range(10):
        row = burst_day + 8 + k
        p = price_at(candles, row)
        trade_id = f"burst-{k + 1}"
        book.add(trade_id, BTC, "BUY" if k % 2 == 0 else "SELL", 1, p, after_close(candles, row, minutes=10), fee=fee(p))
        if k + 1 >= 4:
            expected[trade_id] = {"OVERTRADING"} if k + 1 >= 6 else {"NONE"}
    return Scenario(f"10 trades in a day against a usual 2 (seed {seed})", book, {BTC: candles}, expected)


# ---- OVERCONFIDENCE -----------------------------------------------------------------------------------

def _round_trips(candles: pd.DataFrame, book: Book, count: int, *, first_day: int = 2, amount: float = 100.0) -> None:
    """One round trip a day of the same money amount, each sold 6 h later."""
    for k in range(count):
        row = (first_day + k) * 24 + 9
        p = price_at(candles, row)
        qty = round(amount / float(p), 6)
        book.add(f"rt-{k}-b", BTC, "BUY", qty, p, after_close(candles, row), fee=fee(p, qty))
        q = price_at(candles, row + 6)
        book.add(f"rt-{k}-s", BTC, "SELL", qty, q, after_close(candles, row + 6), fee=fee(q, qty))


def overconfidence(seed: int, size: float) -> Scenario:
    candles = walk(hours=24 * 16, seed=seed, vol=0.0004, drift=0.0015)
    book = Book()
    _round_trips(candles, book, 8)
    row = 11 * 24 + 9
    p = price_at(candles, row)
    qty = round(100 * size / float(p), 6)
    book.add("oc", BTC, "BUY", qty, p, after_close(candles, row), fee=fee(p, qty))
    return Scenario(f"{size}x entry after 8 winning exits (seed {seed})", book, {BTC: candles}, {"oc": {"OVERCONFIDENCE"}})


def overconfidence_near_miss_size() -> Scenario:
    candles = walk(hours=24 * 16, seed=61, vol=0.0004, drift=0.0015)
    book = Book()
    _round_trips(candles, book, 8)
    row = 11 * 24 + 9
    p = price_at(candles, row)
    qty = round(130 / float(p), 6)
    book.add("oc-1.3", BTC, "BUY", qty, p, after_close(candles, row), fee=fee(p, qty))
    return Scenario("1.3x entry after 8 winning exits", book, {BTC: candles}, {"oc-1.3": {"NONE"}})


def overconfidence_near_miss_streak() -> Scenario:
    candles = walk(hours=24 * 16, seed=62, vol=0.0004, drift=0.0015, shapes=((9 * 24 + 9, 7, -0.02),))
    book = Book()
    _round_trips(candles, book, 8)
    row = 11 * 24 + 9
    p = price_at(candles, row)
    qty = round(200 / float(p), 6)
    book.add("oc-after-loss", BTC, "BUY", qty, p, after_close(candles, row), fee=fee(p, qty))
    return Scenario("2x entry a day after a losing exit broke the streak", book, {BTC: candles}, {"oc-after-loss": {"NONE"}})


def all_scenarios() -> list[Scenario]:
    scenarios = [fomo(seed, total) for seed in (1, 2, 3) for total in (0.10, 0.12, 0.15)]
    scenarios += [
        fomo_noisy(0),
        fomo_near_miss_move(),
        fomo_near_miss("rsi-69", lambda r: 68.5 <= r["RSI_14"] < 70 and r["pct_change_24h"] >= 0.085 and r["BB_pos"] >= 0.85),
        fomo_near_miss("bb-0.79", lambda r: 0.77 <= r["BB_pos"] < 0.8 and r["pct_change_24h"] >= 0.085 and r["RSI_14"] >= 72),
    ]
    scenarios += [panic(seed, total) for seed in (4, 5, 6) for total in (-0.09, -0.12)]
    scenarios += [panic_near_miss_gain(), panic_near_miss_unknown(), panic_near_miss_shallow(), panic_near_miss_rsi()]
    scenarios += [revenge_same_symbol_larger(seed) for seed in (7, 8, 9)]
    scenarios += [revenge_other_symbol_larger(), revenge_near_miss_late(), revenge_near_miss_other_smaller()]
    scenarios += [discipline_support_and_hold(seed) for seed in (10, 11, 12)]
    scenarios += [discipline_spike_rule_kept(), discipline_near_miss_short_hold(), discipline_near_miss_no_support(),
                  discipline_near_miss_spike_rule_broken()]
    scenarios += [overtrading(seed) for seed in (13, 14)]
    scenarios += [overconfidence(seed, size) for seed in (15, 16) for size in (1.6, 2.5)]
    scenarios += [overconfidence_near_miss_size(), overconfidence_near_miss_streak()]
    return scenarios
