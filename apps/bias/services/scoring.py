"""Scoring: trades → BiasTags with evidence, FIFO positions, a reflection and a `coach.reflect` event.

Batched per user and symbol: the user's whole trade history is loaded once (history features such as
trades per day, the last exit or a win streak span symbols), candles are fetched once per affected symbol,
the engine tags the requested trades and every later one (a late-arriving older trade changes their FIFO
lots and streaks), and FIFO positions are rewritten for the affected symbols only.
Everything is computed first; then one transaction writes it all, so a failure anywhere writes nothing.
Re-scoring a trade replaces its tags (unique per trade, label and engine version), and a reflection whose
content did not change is not announced again — a retried task is harmless.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction

from apps.core.bulk import Conflict, rows_insert
from apps.events.services import event_append_many

from .. import engine
from ..engine_io import json_text
from ..models import BiasTag, DispositionDay, DispositionStat, Reflection, Rule, TradePosition
from ..selectors import trade_series_for_user
from .payloads import candle_window, ensure_candles, reflect_payload, sparklines, stored_candles
from .reflections import ReflectionDraft, reflection_compose

logger = logging.getLogger(__name__)


@dataclass
class TradeScore:
    trade_id: str
    symbol: str
    tags: list
    draft: ReflectionDraft
    sparkline: list[float]


def _confidence(value: float) -> Decimal:
    value = min(max(float(value), 0.0), 1.0)
    return Decimal(str(round(value, 4)))


def _fingerprint(*, tags: list, draft: ReflectionDraft) -> str:
    body = json.dumps(
        {"v": engine.ENGINE_VERSION, "labels": sorted((t.label, round(float(t.confidence), 4)) for t in tags),
         "text": draft.text, "tone": draft.tone, "bias": draft.bias},
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def bias_score_trades(*, user_id: str, trade_ids: list[str], include_later: bool = True) -> int:
    """Score the given trades of one user. Returns how many trades were tagged.

    New trades (`include_later`): the user's untagged trades join them (with no ids given, those alone)
    and every later trade is re-scored, since they change its history."""
    user = get_user_model().objects.filter(id=user_id, is_active=True).first()
    if user is None or not (trade_ids or include_later):
        return 0
    series = trade_series_for_user(user_id=user.id, trade_ids=trade_ids, include_later=include_later)
    if not series.targets:
        return 0

    # Candles: fetch what is missing for the symbols being scored (indicator warm-up before the first
    # trade); other symbols use what is stored (their closes price paper gains/losses for the disposition
    # effect).
    first = min(rows[0]["ts"] for rows in series.by_symbol.values())
    last = max(rows[-1]["ts"] for rows in series.by_symbol.values())
    ensure_candles([(symbol, *candle_window(rows[0]["ts"], rows[-1]["ts"]))
                    for symbol, rows in series.by_symbol.items() if symbol in series.affected_symbols])
    start, end = candle_window(first, last)
    frames: dict[str, pd.DataFrame] = {symbol: stored_candles(symbol=symbol, start=start, end=end)
                                       for symbol in series.by_symbol}

    rules = [engine.RuleInput(kind=r.kind, params=dict(r.params))
             for r in Rule.objects.filter(user_id=user.id, active=True).order_by("kind")]
    inputs = [
        engine.TradeInput(id=row["id"], symbol=row["symbol"], side=row["side"], qty=row["qty"],
                          price=row["price"], fee=row["fee"], ts=row["ts"])
        for rows in series.by_symbol.values() for row in rows
    ]
    result = engine.score_trades(trades=inputs, candles=frames, rules=rules, target_ids=set(series.targets))

    tags_by_trade: dict[str, list] = defaultdict(list)
    for tag in result.tags:
        if tag.trade_id in series.targets:
            tags_by_trade[tag.trade_id].append(tag)
    missing = [tid for tid in series.targets if not tags_by_trade.get(tid)]
    if missing:
        raise RuntimeError(f"The engine returned no label for {len(missing)} trade(s); nothing was written.")

    lines: dict[str, list[float]] = {}
    by_symbol: dict[str, list[str]] = defaultdict(list)
    for trade_id, trade in series.targets.items():
        by_symbol[trade["symbol"]].append(trade_id)
    for symbol, ids in by_symbol.items():
        lines.update(zip(ids, sparklines(frames.get(symbol), [series.targets[i]["ts"] for i in ids]), strict=True))
    scores: list[TradeScore] = []
    for trade_id, trade in series.targets.items():
        tags = tags_by_trade[trade_id]
        draft = reflection_compose(tags=tags, tone=user.coach_tone)
        scores.append(TradeScore(trade_id=trade_id, symbol=trade["symbol"], tags=tags, draft=draft,
                                 sparkline=lines[trade_id]))

    _write(user=user, series=series, result=result, scores=scores)
    return len(scores)


@transaction.atomic
def _write(*, user, series, result, scores: list[TradeScore]) -> None:
    target_ids = list(series.targets)
    BiasTag.objects.filter(trade_id__in=target_ids).delete()
    rows_insert(BiasTag, ("trade_id", "label", "confidence", "features", "engine_version"), [
        (s.trade_id, tag.label, _confidence(tag.confidence), json_text(tag.features), engine.ENGINE_VERSION)
        for s in scores for tag in s.tags
    ])
    rows_insert(TradePosition, ("trade_id", "user_id", "symbol", "realized_pnl", "held_hours", "matched_qty",
                                "unmatched_qty"), [
        (trade_id, user.id, row["symbol"], info.realized_pnl, info.held_hours, info.matched_qty, info.unmatched_qty)
        for trade_id, row in series.all_rows.items()
        if row["symbol"] in series.affected_symbols and (info := result.positions.get(trade_id)) is not None
    ], conflict=Conflict(("trade",), ("realized_pnl", "held_hours", "matched_qty", "unmatched_qty", "symbol")))

    latest = {}
    for trade_id, fingerprint in (Reflection.objects.filter(trade_id__in=target_ids)
                                  .order_by("trade_id", "-created_at").values_list("trade_id", "fingerprint")):
        latest.setdefault(trade_id, fingerprint)
    announced = []
    for score in scores:
        fingerprint = _fingerprint(tags=score.tags, draft=score.draft)
        if latest.get(score.trade_id) != fingerprint:
            announced.append((score, fingerprint))
    event_ids = event_append_many(user=user, type="coach.reflect", payloads=[
        reflect_payload(trade_id=score.trade_id, tags=score.tags, draft=score.draft, sparkline=score.sparkline,
                        trade=series.targets[score.trade_id])
        for score, _ in announced
    ])
    rows_insert(Reflection, ("user_id", "trade_id", "text", "tone", "bias", "source", "engine_version",
                             "fingerprint", "event_id"), [
        (user.id, score.trade_id, score.draft.text, score.draft.tone, score.draft.bias, score.draft.source,
         engine.ENGINE_VERSION, fingerprint, event_id)
        for (score, fingerprint), event_id in zip(announced, event_ids, strict=True)
    ])
    _disposition_store(user=user, series=series, disposition=result.disposition)


def _disposition_store(*, user, series, disposition: dict) -> None:
    """Odean's disposition effect: the counts of every sale day (summed over any period by
    `bias_summary`) and the whole history's figure (PGR − PLR with the counts behind it)."""
    first = min(rows[0]["ts"] for rows in series.by_symbol.values())
    last = max(rows[-1]["ts"] for rows in series.by_symbol.values())

    def ratio(value):
        return None if value is None else Decimal(str(round(float(value), 4)))

    DispositionDay.objects.filter(user=user).delete()
    rows_insert(DispositionDay, ("user_id", "day", "realized_gains", "realized_losses", "paper_gains", "paper_losses",
                                 "paper_unpriced", "sales_unknown", "counted", "engine_version"), [
        (user.id, row["date"], row["RG"], row["RL"], row["PG"], row["PL"], row["paper_unpriced"],
         row["sales_unknown"], row["counted"], engine.ENGINE_VERSION)
        for row in disposition.get("days") or ()
    ])
    DispositionStat.objects.filter(user=user).delete()
    DispositionStat.objects.create(
        user=user, period_start=first.date(), period_end=last.date(),
        realized_gains=int(disposition.get("RG") or 0), realized_losses=int(disposition.get("RL") or 0),
        paper_gains=int(disposition.get("PG") or 0), paper_losses=int(disposition.get("PL") or 0),
        pgr=ratio(disposition.get("PGR")), plr=ratio(disposition.get("PLR")),
        effect=ratio(disposition.get("PGR_minus_PLR")), engine_version=engine.ENGINE_VERSION,
    )
