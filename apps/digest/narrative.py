"""The digest's words: one habit suggestion and a 3–5 sentence narrative, in the user's coach tone.

Both talk about the trader's own behaviour only, never about an asset, a price or a position. The
suggestion is a habit from the coach's library (`apps.bias.services.reflections.coach_habit`, the one
reflections and the gate use) for the week's dominant problem label, rotating from week to week, and checked
by the bias app's non-advisory linter. The narrative is built from templates whose every number is read from the payload; with
`LLM_BASE_URL` set, an OpenAI-compatible model is asked first (JSON mode, the payload's figures only: no
ids, no email) and its text is kept only when it has 3–5 sentences, passes the linter and uses no number
the payload does not hold — otherwise the template is used.
"""
from __future__ import annotations

import functools
import json
import logging
import re
from datetime import date

import httpx
from django.conf import settings

from apps.bias.selectors import coach_text_violations
from apps.bias.services.reflections import coach_habit

logger = logging.getLogger(__name__)

TONES = ("supportive", "strict")
SAFE_HABIT = "Keep writing a one-line plan before each trade so the record stays honest."

# the habit of a week with no trades at all (the coach's library speaks of trades that happened)
NO_TRADES: dict[str, str] = {
    "supportive": "Before your next trade, write a one-line plan with your reason and your exit conditions.",
    "strict": "Do not place your next trade before a one-line plan with your reason and exit conditions is written.",
}

NUMBER = re.compile(r"\d+(?:\.\d+)?")
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")


def tone_of(value: str) -> str:
    return value if value in TONES else "supportive"


def week_index(week: str | None) -> int:
    """Consecutive ISO weeks ("2026-W47") as consecutive numbers, so the suggestion changes every week."""
    try:
        year, number = (week or "").split("-W")
        return date.fromisocalendar(int(year), int(number), 1).toordinal() // 7
    except ValueError:
        return 0


def suggestion_compose(*, figures: dict, tone: str) -> dict:
    """{label, text}: one concrete habit about the user's own behaviour for the week's dominant problem label,
    from the coach's library (the habits reflections and the gate use), rotating week by week."""
    tone = tone_of(tone)
    label = figures.get("dominantProblem") or ("NONE" if figures.get("trades") else "EMPTY")
    return {"label": label, "text": _suggestion_text(label, tone, week_index(figures.get("week")))}


@functools.lru_cache(maxsize=512)
def _suggestion_text(label: str, tone: str, index: int) -> str:
    """The library's habit, linted once per process (the library passes, as tested; should a stricter linter
    ever refuse one, the safe habit is used)."""
    text = NO_TRADES[tone] if label == "EMPTY" else coach_habit(label=label, tone=tone, index=index, context="week")
    if coach_text_violations(text=text):
        logger.warning("digest suggestion for %s failed the linter; using the safe habit", label)
        return SAFE_HABIT
    return text


def _money(per_quote: dict[str, str], *, signed: bool = True) -> str:
    parts = []
    for quote, value in sorted(per_quote.items()):
        shown = value if (not signed or value.startswith("-") or value == "0") else f"+{value}"
        parts.append(f"{shown} {quote}")
    return " and ".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def narrative_template(*, payload: dict, tone: str) -> str:
    """3–5 sentences from the payload alone (every number is one of the payload's)."""
    tone = tone_of(tone)
    trades, week = payload["trades"], payload["week"]
    previous = payload["vsPreviousWeek"]["previousTrades"]
    habit = payload["suggestion"]["text"]
    habit_sentence = (f"One habit for next week: {habit[0].lower()}{habit[1:]}" if tone == "supportive"
                      else f"Your rule for next week: {habit[0].lower()}{habit[1:]}")
    if trades == 0:
        sentences = [f"You made no trades in {week}."]
        if previous:
            sentences.append(f"That is down from {_plural(previous, 'trade')} the week before.")
        sentences.append("A quiet week is a result too: nothing was chased and nothing needs repairing."
                         if tone == "supportive" else "No trades means nothing to review, and no habit was tested either.")
        sentences.append(habit_sentence)
        return " ".join(sentences)
    if previous == trades:
        change = ", the same number as the week before"
    else:
        change = f", {'up' if trades > previous else 'down'} from {previous} the week before"
    sentences = [f"You made {_plural(trades, 'trade')} in {week}{change}."]
    notable = sorted(((label, count) for label, count in payload["labels"].items() if label != "NONE"),
                     key=lambda item: (-item[1], item[0]))
    if notable:
        first = f"The label that came up most was {notable[0][0]} on {_plural(notable[0][1], 'trade')}"
        if len(notable) > 1:
            first += f", followed by {notable[1][0]} on {notable[1][1]}"
        sentences.append(first + ".")
    else:
        sentences.append("None of them showed a notable bias." if tone == "supportive"
                         else "No bias showed up on any of them.")
    if payload["closedTrades"]:
        sentences.append(f"Realised P/L came to {_money(payload['realizedPnl'])}, with "
                         f"{payload['winningTrades']} of {_plural(payload['closedTrades'], 'closing trade')} in profit.")
    else:
        sentences.append("No trade closed a position, so there is no realised P/L to report.")
    best, worst = payload.get("bestHabit"), payload.get("worstHabit")
    if best and worst:
        sentences.append(f"Your {best['label']} trades carried the best result ({_money({best['quote']: best['pnl']})}) "
                         f"and your {worst['label']} trades the weakest ({_money({worst['quote']: worst['pnl']})})."
                         if tone == "supportive" else
                         f"{best['label']} trades returned {_money({best['quote']: best['pnl']})}; "
                         f"{worst['label']} trades returned {_money({worst['quote']: worst['pnl']})}.")
    elif best:
        sentences.append(f"The labelled P/L came from {best['label']} trades ({_money({best['quote']: best['pnl']})}).")
    sentences.append(habit_sentence)
    return " ".join(sentences[:5])


def payload_numbers(payload) -> set[str]:
    """Every number written anywhere in the payload (keys and values), as the digits appear."""
    return set(NUMBER.findall(json.dumps(payload, default=str)))


def narrative_acceptable(*, text, payload: dict) -> bool:
    if not isinstance(text, str) or not 0 < len(text.strip()) <= 900:
        return False
    sentences = [s for s in SENTENCE_SPLIT.split(text.strip()) if s]
    if not 3 <= len(sentences) <= 5 or coach_text_violations(text=text):
        return False
    return set(NUMBER.findall(text)) <= payload_numbers(llm_summary(payload))


SYSTEM_PROMPT = (
    "You are a trading-behaviour coach writing a weekly review. From the JSON figures, write 3 to 5 sentences: "
    "what the week looked like, which behaviour labels dominated, how realised P/L split by label, and end with "
    "the given habit. Use only numbers that appear in the figures, keep each amount with its currency and never "
    "add amounts of different currencies. Talk only about behaviour and process: never say what to buy, sell or "
    "hold, never give price levels or forecasts, never promise results. Answer with JSON {\"text\": \"...\"} only."
)


def llm_summary(payload: dict) -> dict:
    """What leaves the process: the figures without trade ids or timestamps."""
    strip = {"tradeId", "ts"}

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in strip}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    keep = ("week", "trades", "labels", "pnlByLabel", "realizedPnl", "closedTrades", "winningTrades", "winRate",
            "largestWin", "largestLoss", "disposition", "vsPreviousWeek", "streaks", "bestHabit", "worstHabit",
            "suggestion")
    return clean({key: payload.get(key) for key in keep})


def narrative_llm(*, payload: dict, tone: str) -> str | None:
    if not settings.LLM_BASE_URL:
        return None
    body = {
        "model": settings.LLM_MODEL,
        "temperature": 0,
        "response_format": {"type": "json_object"},
        "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                     {"role": "user", "content": json.dumps({"tone": tone, **llm_summary(payload)}, sort_keys=True)}],
    }
    headers = {"Authorization": f"Bearer {settings.LLM_API_KEY}"} if settings.LLM_API_KEY else {}
    try:
        response = httpx.post(settings.LLM_BASE_URL.rstrip("/") + "/chat/completions", json=body, headers=headers,
                              timeout=float(settings.LLM_TIMEOUT))
        response.raise_for_status()
        text = json.loads(response.json()["choices"][0]["message"]["content"])["text"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        logger.info("digest narrative generator unavailable: %s", type(exc).__name__)
        return None
    if not narrative_acceptable(text=text, payload=payload):
        logger.info("digest narrative from the model rejected; using the template")
        return None
    return text.strip()


def narrative_compose(*, payload: dict, tone: str) -> dict:
    """{text, tone, source}: the model's text when configured and acceptable, else the template's."""
    tone = tone_of(tone)
    generated = narrative_llm(payload=payload, tone=tone)
    if generated is not None:
        return {"text": generated, "tone": tone, "source": "llm"}
    return {"text": narrative_template(payload=payload, tone=tone), "tone": tone, "source": "template"}
