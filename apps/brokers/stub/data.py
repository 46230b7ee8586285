"""Deterministic market and account data for the stub exchange.

Everything derives from (seed, anchor, trade count): an hourly random walk per asset with occasional
+12% pumps and -9% dumps (so behavioural labels have something to find), a few hourly gaps, and fills
spread over the window before the anchor, some of them chasing pumps or selling into dumps.
"""
from __future__ import annotations

import bisect
import itertools
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

HOUR = 3600
ASSETS = {  # asset -> (start price, hourly volatility, weight among fills, qty decimals)
    "BTC": (Decimal("62000"), 0.006, 0.45, 8),
    "ETH": (Decimal("3100"), 0.008, 0.35, 6),
    "SOL": (Decimal("145"), 0.011, 0.20, 4),
}
NAMESPACE = uuid.UUID("6b0f2c4e-2f4e-4a59-9a86-1a3f58c3c2a1")


@dataclass(frozen=True, slots=True)
class Bar:
    ts: int  # unix seconds, open time
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class Fill:
    """A venue-neutral fill; the server renders it in each exchange's wire format."""

    key: str  # stable content-derived identifier
    asset: str
    side: str  # BUY | SELL
    ts: datetime
    price: Decimal
    qty: Decimal
    precision: int  # 0, 3 or 6 fractional second digits as the exchange would print them
    is_maker: bool
    size_in_quote: bool


@dataclass
class MarketData:
    seed: int
    anchor: datetime
    history_days: int = 120
    bars: dict[str, list[Bar]] = field(default_factory=dict)  # asset -> hourly bars ascending
    events: list[tuple[str, int, str]] = field(default_factory=list)  # (asset, ts of event end, "pump"|"dump")
    first_ts: int = 0

    @classmethod
    def build(cls, *, seed: int, anchor: datetime, history_days: int = 120, future_hours: int = 72) -> MarketData:
        data = cls(seed=seed, anchor=anchor, history_days=history_days)
        data.first_ts = int(anchor.timestamp()) - history_days * 86400
        hours = history_days * 24 + future_hours
        for asset, (start, vol, _weight, _dp) in ASSETS.items():
            rng = random.Random(f"{seed}:walk:{asset}")
            price = float(start)
            bars: list[Bar] = []
            pending: list[float] = []
            for h in range(hours):
                ts = data.first_ts + h * HOUR
                if not pending and h % 24 == 0:
                    roll = rng.random()
                    if roll < 0.07:
                        pending = [math.log(1.12) / 6] * 6
                        data.events.append((asset, ts + 6 * HOUR, "pump"))
                    elif roll < 0.13:
                        pending = [math.log(0.91) / 4] * 4
                        data.events.append((asset, ts + 4 * HOUR, "dump"))
                drift = pending.pop(0) if pending else 0.0
                step = drift + rng.gauss(0.0, vol)
                open_ = price
                close = price * math.exp(step)
                high = max(open_, close) * (1 + abs(rng.gauss(0.0, vol / 2)))
                low = min(open_, close) * (1 - abs(rng.gauss(0.0, vol / 2)))
                volume = rng.lognormvariate(3.0, 0.6) * (1 + 4 * abs(step) / vol / 10)
                price = close
                if asset == "SOL" and rng.random() < 0.01:
                    continue  # no trades in that hour: a gap, as real candle feeds have
                bars.append(Bar(ts, _q(open_), _q(high), _q(low), _q(close), _q(volume, 4)))
            data.bars[asset] = bars
        return data

    def bar_at(self, asset: str, ts: int) -> Bar | None:
        bars = self.bars[asset]
        lo, hi = 0, len(bars) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            if bars[mid].ts == ts - ts % HOUR:
                return bars[mid]
            if bars[mid].ts < ts - ts % HOUR:
                lo = mid + 1
            else:
                hi = mid - 1
        return None

    def candles(self, asset: str, *, seconds: int, start: int, end: int, now: int) -> list[Bar]:
        """Bars of `seconds` width (multiple of an hour) with start <= ts < end, closed or in progress."""
        out: list[Bar] = []
        bucket: list[Bar] = []
        bucket_ts = None
        bars = self.bars[asset]
        first = bisect.bisect_left(bars, start - start % seconds, key=lambda bar: bar.ts)
        for bar in itertools.islice(bars, first, None):
            if bar.ts > now:
                break
            ts = bar.ts - bar.ts % seconds
            if ts >= end:
                break
            if ts < start:
                continue
            if bucket_ts is not None and ts != bucket_ts:
                out.append(_merge(bucket_ts, bucket))
                bucket = []
            bucket_ts = ts
            bucket.append(bar)
        if bucket:
            out.append(_merge(bucket_ts, bucket))
        return out

    def fills(self, *, venue: str, count: int, window_days: int) -> list[Fill]:
        rng = random.Random(f"{self.seed}:fills:{venue}:{count}")
        end = int(self.anchor.timestamp())
        start = end - window_days * 86400
        events = [e for e in self.events if start <= e[1] < end - HOUR]
        assets = list(ASSETS)
        weights = [ASSETS[a][2] for a in assets]
        out: list[Fill] = []
        for _ in range(count):
            if events and rng.random() < 0.25:
                asset, event_ts, kind = rng.choice(events)
                ts = event_ts + rng.randint(0, 3 * HOUR - 1)
                side = "BUY" if kind == "pump" else "SELL"
            else:
                asset = rng.choices(assets, weights)[0]
                ts = rng.randint(start, end - 1)
                side = "BUY" if rng.random() < 0.52 else "SELL"
            bar = self.bar_at(asset, ts) or self._nearest(asset, ts)
            price = bar.low + (bar.high - bar.low) * Decimal(str(round(rng.random(), 6)))
            price = price.quantize(Decimal("0.01"))
            notional = Decimal(str(round(rng.lognormvariate(math.log(400), 0.8), 2)))
            qty = (notional / price).quantize(Decimal(1).scaleb(-ASSETS[asset][3]), rounding=ROUND_DOWN)
            if qty <= 0:
                qty = Decimal(1).scaleb(-ASSETS[asset][3])
            precision = rng.choice((0, 3, 6))
            micro = rng.randint(0, 999_999)
            micro = {0: 0, 3: micro - micro % 1000, 6: micro}[precision]
            when = datetime.fromtimestamp(ts, tz=UTC).replace(microsecond=micro)
            key = str(uuid.uuid5(NAMESPACE, f"{self.seed}|{venue}|{asset}|{when.isoformat()}|{side}|{qty}"))
            out.append(Fill(key=key, asset=asset, side=side, ts=when, price=price, qty=qty, precision=precision,
                            is_maker=rng.random() < 0.3, size_in_quote=venue == "coinbase" and rng.random() < 0.1))
        out.sort(key=lambda f: (f.ts, f.key))
        return out

    def _nearest(self, asset: str, ts: int) -> Bar:
        bars = self.bars[asset]
        return min(bars, key=lambda b: abs(b.ts - ts))


def _merge(ts: int, bars: list[Bar]) -> Bar:
    return Bar(ts, bars[0].open, max(b.high for b in bars), min(b.low for b in bars), bars[-1].close,
               sum((b.volume for b in bars), Decimal(0)))


def _q(value: float, places: int = 2) -> Decimal:
    return Decimal(str(round(value, places)))


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(moment: datetime) -> datetime:
    return floor_hour(moment).replace(hour=0)


def window_start(anchor: datetime, days: int) -> datetime:
    return anchor - timedelta(days=days)
