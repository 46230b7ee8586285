"""Draft post entries with adherence to the plan, written after scoring (the `trades scored` hook)."""
from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.core.ids import new_id
from apps.gate.selectors import intents_linked
from apps.trades.selectors import trade_queryset

from ..adherence import Fill, adherence_compute
from ..models import EntryStatus, EntryType, JournalEntry
from .entries import _created_event, _set_tags, _set_text

LOOKBACK = timedelta(days=90)  # intents linked longer ago than this are settled


def _exit_fill(*, user_id: str, intent, entry_trade) -> Fill | None:
    """The first trade closing the planned position: the opposite side, same market, after the entry."""
    side = "SELL" if intent.direction == "long" else "BUY"
    trade = (trade_queryset().filter(user_id=user_id, symbol=entry_trade.symbol, side=side, ts__gt=entry_trade.ts)
             .order_by("ts", "id").first())
    return Fill(id=trade.id, price=trade.price, qty=trade.qty, ts=trade.ts) if trade else None


def adherence_drafts_update(*, user_id: str) -> int:
    """For each intent of the user linked to a trade: write (or refresh) the post entry's adherence. A missing
    post entry is created as a draft with the facts filled in, announced with `journal.entry.created`.
    Inside the caller's transaction. -> entries written."""
    written = 0
    intents = intents_linked(user_id=user_id, since=timezone.now() - LOOKBACK)
    if not intents:
        return 0
    existing = {e.intent_id: e for e in JournalEntry.objects.select_for_update()
                .filter(user_id=user_id, type=EntryType.POST, intent_id__in=[i.id for i in intents])}
    user = None
    for intent in intents:
        entry_trade = intent.linked_trade
        post = existing.get(intent.id)
        if post is not None and (post.adherence or {}).get("complete"):
            continue  # the exit is in: the facts no longer change
        adherence = adherence_compute(
            direction=intent.direction, timeframe=intent.timeframe, size=intent.size or {}, plan=intent.plan or {},
            entry=Fill(id=entry_trade.id, price=entry_trade.price, qty=entry_trade.qty, ts=entry_trade.ts),
            exit=_exit_fill(user_id=user_id, intent=intent, entry_trade=entry_trade))
        if post is not None:
            if post.adherence != adherence:
                post.adherence = adherence
                post.save(update_fields=["adherence", "updated_at"])
                written += 1
            continue
        user = user or get_user_model().objects.get(pk=user_id)
        post = JournalEntry(id=new_id(), user=user, type=EntryType.POST, status=EntryStatus.DRAFT, intent=intent,
                            trade=entry_trade, symbol=intent.symbol, adherence=adherence)
        _set_tags(post, [])
        _set_text(post, "")
        post.save(force_insert=True)
        _created_event(post)
        written += 1
    return written
