"""Gate reads, always scoped to one user, and the snapshot of a user's state the gate decides on."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.cache import cache

from apps.bias.registry import PlannedStop
from apps.bias.selectors import market_indicators, position_exits, rule_list
from apps.brokers.selectors import candle_frame
from apps.brokers.services import secret_open
from apps.core.errors import NotFound
from apps.core.formatting import zone
from apps.core.pagination import clamp_limit, newest_first_page
from apps.core.validation import opaque_id_valid
from apps.trades.selectors import trade_queryset

from .decide import CooldownInfo, GateState, MarketState
from .models import Cooldown, PretradeIntent
from .policy import EffectivePolicy, policy_effective

TASK_TEXT_FIELD = "gate.task.text"  # a friction task's note, sealed with the user's data key (the AAD's field)
MARKET_WARMUP_HOURS = 60  # RSI(14), Bollinger(20) and a margin of missing bars before the lookback
MARKET_STALE_AFTER = timedelta(hours=3)
EXITS_LOOKED_AT = 50  # the newest exits read for the losing streak and today's realised loss  # a last closed candle older than this is not "the market now"


@dataclass(frozen=True, slots=True)
class IntentPage:
    results: list[PretradeIntent]
    next_cursor: str | None


def intent_get(*, user, intent_id: str) -> PretradeIntent:
    intent = None
    if opaque_id_valid(intent_id):
        intent = (PretradeIntent.objects.select_related("linked_trade", "override")
                  .filter(user=user, id=intent_id).first())
    if intent is None:
        raise NotFound("Intent not found.")
    return intent


def intent_list(*, user, cursor: str | None = None, limit=None) -> IntentPage:
    """The user's intents, newest first, keyset-paged on (created_at, id)."""
    size = clamp_limit(limit, default=50, maximum=200)
    query = PretradeIntent.objects.select_related("linked_trade", "override").filter(user=user)
    rows, next_cursor = newest_first_page(query, cursor=cursor, size=size)
    return IntentPage(results=rows, next_cursor=next_cursor)


def cooldown_active(*, user_id: str, now: datetime) -> Cooldown | None:
    """The running cooldown that ends last, if any."""
    return (Cooldown.objects.filter(user_id=user_id, ended_at__isnull=True, starts_at__lte=now, ends_at__gt=now)
            .order_by("-ends_at").first())


def user_policy(*, user) -> EffectivePolicy:
    return policy_effective(persona=getattr(user, "persona", "") or "crypto", user_rules=rule_list(user=user),
                            coach_tone=user.coach_tone)


def loss_streak(*, user_id: str, limit: int = EXITS_LOOKED_AT, exits: list[dict] | None = None) -> tuple[int, dict | None]:
    """(losing exits in a row up to the latest exit, the newest of them) from the stored positions."""
    streak, last = 0, None
    for row in exits if exits is not None else position_exits(user_id=user_id, limit=limit):
        if row["realizedPnl"] < 0:
            streak += 1
            last = last or row
        else:
            break
    return streak, last


def _quote(symbol: str) -> str:
    return symbol.rsplit("-", 1)[-1].upper()


def market_state(*, symbol: str, now: datetime, lookback_hours: int, spike_hours: float | None) -> MarketState:
    """Features of the last closed hourly candle (stored ones only; the gate job fetches missing candles first).

    The window ends at the start of the current hour (every bar in it is closed), so within an hour every
    intent on a market reads the same cached frame, and the features of one frame are computed once."""
    longest = max(lookback_hours, int(spike_hours or 0), 24)
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    frame = candle_frame(symbol=symbol, granularity="1h", start=hour - timedelta(hours=longest + MARKET_WARMUP_HOURS),
                         end=hour)
    if frame.empty or (pd.Timestamp(now) - (frame.index[-1] + pd.Timedelta(hours=1))) > MARKET_STALE_AFTER:
        return MarketState()
    key = (f"gate:market:{symbol}:{int(frame.index[0].timestamp())}:{int(frame.index[-1].timestamp())}:{len(frame)}:"
           f"{float(frame['close'].sum()):.8g}:{lookback_hours}:{spike_hours}")
    cached = cache.get(key)
    if cached is not None:
        return cached
    features = market_indicators(candles=frame, interval=pd.Timedelta(hours=1))
    last = features.iloc[-1]

    def change(hours: float | None) -> float | None:
        if not hours:
            return None
        base_time = frame.index[-1] - pd.Timedelta(hours=hours)
        position = frame.index.searchsorted(base_time, side="right") - 1
        if position < 0 or frame.index[position] < base_time - pd.Timedelta(hours=2):
            return None
        return float(last["close"] / frame["close"].iloc[position] * 100 - 100)

    def clean(value) -> float | None:
        return None if value is None or not np.isfinite(value) else float(value)

    state = MarketState(candle_close_time=(frame.index[-1] + pd.Timedelta(hours=1)).to_pydatetime(),
                        change_pct=change(lookback_hours), rsi=clean(last["RSI_14"]), bb_pos=clean(last["BB_pos"]),
                        spike_change_pct=change(spike_hours))
    cache.set(key, state, timeout=3600)
    return state


def gate_state(*, user, symbol: str, policy: EffectivePolicy, now: datetime) -> GateState:
    """Everything the gate weighs besides the intent itself, as of `now`. "Today" is the user's day, in their
    time zone."""
    day_start = user_day_start(user=user, now=now)
    trades_today = trade_queryset().filter(user=user, ts__gte=day_start, ts__lte=now).count()
    exits = position_exits(user_id=user.id, limit=EXITS_LOOKED_AT)
    streak, last_loss = loss_streak(user_id=user.id, exits=exits)
    if len(exits) == EXITS_LOOKED_AT and exits[-1]["ts"] >= day_start:  # a busy day: read all of today's
        exits = position_exits(user_id=user.id, since=day_start)
    quote = _quote(symbol)
    loss_today = -sum((row["realizedPnl"] for row in exits
                       if row["ts"] >= day_start and _quote(row["symbol"]) == quote and row["realizedPnl"] < 0),
                      Decimal(0))
    cooldown = cooldown_active(user_id=user.id, now=now)
    spike = policy.rules.get("avoidSpikeOverPct")
    market = market_state(symbol=symbol, now=now, lookback_hours=int(policy.gate["market"]["lookbackHours"]),
                          spike_hours=float(spike["lookbackHours"]) if spike else None)
    return GateState(
        now=now,
        cooldown=CooldownInfo(id=cooldown.id, reason=cooldown.reason, ends_at=cooldown.ends_at,
                              message=cooldown.message) if cooldown else None,
        trades_today=trades_today, loss_streak=streak, last_loss=last_loss,
        realized_loss_today=loss_today, market=market,
    )


def task_text_record(*, intent_id: str, cta_id: str) -> str:
    """The record a task note's seal is bound to (its AAD names the intent and the task)."""
    return f"{intent_id}:{cta_id}"


def intent_tasks_opened(*, intent: PretradeIntent) -> list[dict]:
    """The intent's friction tasks for their owner, a journal note opened from its seal (the stored row and the
    events hold only the sealed text)."""
    out = []
    for task in intent.tasks or []:
        payload = dict(task.get("payload") or {})
        sealed = payload.pop("textSealed", None)
        if sealed:
            payload["text"] = secret_open(user_id=intent.user_id, field_name=TASK_TEXT_FIELD, blob=base64.b64decode(sealed),
                                          record_id=task_text_record(intent_id=intent.id, cta_id=task["ctaId"]))
        out.append({**task, "payload": payload})
    return out


def user_day_start(*, user, now: datetime) -> datetime:
    """The start of the user's current day (midnight in their time zone), as an aware UTC moment."""
    local = now.astimezone(zone(getattr(user, "timezone", None)))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def planned_stops(user_id: str) -> list[PlannedStop]:
    """The stops of the user's linked plans, each with the trade that closed the planned position (the first
    trade on the other side of the same market after the linked entry); plans without a stop or an exit yet
    give none. Provided to scoring through the bias registry."""
    out = []
    intents = (PretradeIntent.objects.select_related("linked_trade")
               .filter(user_id=user_id, linked_trade__isnull=False).order_by("linked_at", "id"))
    for intent in intents:
        try:
            stop = Decimal(str((intent.plan or {}).get("stop")))
        except (ArithmeticError, ValueError):
            continue
        if not stop.is_finite() or stop <= 0:
            continue
        entry = intent.linked_trade
        side = "SELL" if intent.direction == "long" else "BUY"
        exit_trade = (trade_queryset().filter(user_id=user_id, symbol=entry.symbol, side=side, ts__gt=entry.ts)
                      .order_by("ts", "id").only("id", "price").first())
        if exit_trade is not None:
            out.append(PlannedStop(intent_id=intent.id, symbol=entry.symbol, direction=intent.direction, stop=stop,
                                   exit_trade_id=exit_trade.id, exit_price=exit_trade.price))
    return out


def intents_linked(*, user_id: str, since: datetime) -> list[PretradeIntent]:
    """The user's intents linked to an imported trade at or after `since`, with that trade, oldest link first."""
    return list(PretradeIntent.objects.select_related("linked_trade")
                .filter(user_id=user_id, linked_trade__isnull=False, linked_at__gte=since).order_by("linked_at", "id"))
