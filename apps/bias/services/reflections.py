"""Coach reflections: deterministic templates by default, an optional OpenAI-compatible model, both linted."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from apps.core.errors import NotFound, ValidationFailed
from apps.core.readcache import user_data_changed
from apps.events.services import event_append

from .. import engine
from ..models import Reflection, ReflectionFeedback
from ..selectors import trade_with_tags_get
from .payloads import SPARKLINE_AFTER, SPARKLINE_BEFORE, reflect_payload, sparkline, stored_candles


@dataclass(frozen=True)
class ReflectionDraft:
    text: str
    tone: str
    bias: str
    source: str = "template"
    fallback: dict | None = None  # why a configured model's text was not used (recorded on the event)


def primary_tag(tags: list):
    """The label a reflection talks about: the most confident one that is not NONE, else NONE."""
    notable = [t for t in tags if t.label != "NONE"]
    pool = notable or list(tags)
    return sorted(pool, key=lambda t: (-float(t.confidence), t.label))[0]


def reflection_compose(*, tags: list, tone: str) -> ReflectionDraft:
    """Two sentences about behaviour with one concrete habit for the trade's primary label.

    The engine asks the configured model first and keeps its text only when it passes the linter; the
    source is "llm" when the text is not the deterministic template's."""
    tag = primary_tag(tags)
    features = tag.features or {}
    result = engine.reflect(label=tag.label, features=features, tone=tone)
    return ReflectionDraft(text=result.text, tone=result.tone, bias=result.bias, source=result.source,
                           fallback=result.fallback)


HABIT_CONTEXTS = ("trade", "week", "intent")
# a habit that points at the trade in front of the reader ("as you did here", "this trade") reads well under
# a reflection, not in a weekly digest or before a trade
_ABOUT_ONE_TRADE = re.compile(r"\b(?:this\s+trade|here|today's|today)\b", re.IGNORECASE)


def coach_habits(*, label: str, tone: str, context: str = "trade") -> list[str]:
    """The coach's habits for a label and tone (the library reflections use), those that read well in
    `context`: "trade" (a reflection: all of them), "week" (the digest) or "intent" (the gate, before a
    trade). A label without a habit that fits falls back to the NONE label's."""
    habits = list(_library(label, tone))
    if context == "trade":
        return habits
    fitting = [h for h in habits if not _ABOUT_ONE_TRADE.search(h)]
    if fitting or label == "NONE":
        return fitting
    return coach_habits(label="NONE", tone=tone, context=context)


def _library(label: str, tone: str) -> list[str]:
    by_tone = engine.HABITS.get(label) or engine.HABITS["NONE"]
    return by_tone.get(tone) or by_tone["supportive"]


def coach_habit(*, label: str, tone: str, index: int = 0, context: str = "trade") -> str:
    """One habit from the coach's library for a label (the digest and the gate share it with reflections);
    `index` rotates through the label's habits that fit `context` (see ``coach_habits``)."""
    habits = coach_habits(label=label, tone=tone, context=context)
    return habits[index % len(habits)]


def reflection_request(*, user, trade_id: str) -> tuple[Reflection, object]:
    """A fresh reflection on one of the user's scored trades, announced with a `coach.reflect` event.

    The text is composed first (a configured model is asked over the network); then one transaction writes
    the reflection and its event. Returns (reflection, outbox event)."""
    trade, tags = trade_with_tags_get(user=user, trade_id=trade_id)
    if not tags:
        raise NotFound("This trade has not been scored yet.", code="not_scored")
    draft = reflection_compose(tags=tags, tone=user.coach_tone)
    ts = trade.ts
    frame = stored_candles(symbol=trade.symbol, start=ts - timedelta(hours=SPARKLINE_BEFORE + 1),
                           end=ts + timedelta(hours=SPARKLINE_AFTER + 1))
    payload = reflect_payload(trade_id=trade.id, tags=tags, draft=draft, sparkline=sparkline(frame, ts),
                              trade={"symbol": trade.symbol, "side": trade.side, "ts": ts})
    with transaction.atomic():
        event = event_append(user=user, type="coach.reflect", payload=payload)
        reflection = Reflection.objects.create(
            user=user, trade=trade, text=draft.text, tone=draft.tone, bias=draft.bias, source=draft.source,
            engine_version=engine.ENGINE_VERSION, event_id=event.id)
        user_data_changed(user.pk)  # the trade page shows the newest reflection
    return reflection, event


@transaction.atomic
def reflection_feedback_record(*, user, event_id: str, vote: str) -> ReflectionFeedback:
    """Store (or change) the user's thumbs up/down on the reflection announced by `event_id`."""
    if vote not in ("up", "down"):
        raise ValidationFailed("vote must be up or down.", fields={"vote": ["Must be up or down."]})
    reflection = Reflection.objects.filter(user=user, event_id=event_id).first()
    if reflection is None:
        raise NotFound("No reflection with that event id.")
    feedback, _ = ReflectionFeedback.objects.update_or_create(user=user, reflection=reflection,
                                                              defaults={"vote": vote})
    user_data_changed(user.pk)  # the trade page shows the vote
    return feedback
