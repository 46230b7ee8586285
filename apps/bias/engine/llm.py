"""Optional reflection writer on an OpenAI-compatible chat-completions endpoint.

Disabled unless ``settings.LLM_BASE_URL`` is set. The request carries only a feature summary (label, tone,
the numbers behind the label and which conditions fired) — never trade or user ids, emails or tokens —
and asks for JSON ``{"text": ...}``. Answers are cached in the Django cache (Redis) by sha256 of
(summary, label, tone). Any failure — HTTP error, timeout, invalid JSON, wrong shape, a text that fails
``lint_reflection`` or is not two sentences — returns no text and the reason (``Outcome.fallback``) so the
caller uses its template and records why.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass

import httpx

logger = logging.getLogger(__name__)

CACHE_PREFIX = "bias:reflect:llm:"
CACHE_SECONDS = 7 * 24 * 3600
MAX_CHARS = 420
SUMMARY_INPUTS = (
    "side", "pct_change_1h_before", "pct_change_24h_before", "RSI_14", "ATR_rel", "BB_pos", "gap_from_MA",
    "volume_ratio", "drawdown_recent", "support_distance", "held_hours", "pnl_exit_pct", "hours_since_exit",
    "last_exit_pnl_pct", "size_vs_lost_position", "win_streak", "trades_today", "baseline_median_trades",
    "fee_drag_today", "size_vs_median",
)
SYSTEM_PROMPT = (
    "You are a trading-behaviour coach. Given a behaviour label and the evidence behind it, write exactly two "
    "sentences: the first names the behaviour from the evidence, the second gives one concrete habit. Talk only "
    "about behaviour and process. Never say what to buy, sell or hold, never give price levels or forecasts, "
    "never promise results. Answer with JSON {\"text\": \"...\"} only."
)


def _settings():
    try:
        from django.conf import settings

        url = settings.LLM_BASE_URL
        if not url:  # the common case, asked once per trade: no model configured
            return None
        return {"url": url, "key": settings.LLM_API_KEY, "model": settings.LLM_MODEL,
                "timeout": float(settings.LLM_TIMEOUT)}
    except Exception:  # settings not configured (engine used outside Django)
        return None


def feature_summary(*, label: str, features: dict) -> dict:
    """The only data that leaves the process: label-level evidence, numbers rounded."""
    inputs = features.get("inputs") or {}
    summary_inputs = {}
    for key in SUMMARY_INPUTS:
        value = inputs.get(key)
        if isinstance(value, float):
            value = round(value, 4)
        if value is not None:
            summary_inputs[key] = value
    conditions = [{"name": c.get("name"), "value": c.get("value"), "op": c.get("op"), "threshold": c.get("threshold"),
                   "fired": c.get("fired")} for c in features.get("conditions") or []]
    rules = [{"kind": r.get("kind"), "status": r.get("status")} for r in features.get("rules") or []]
    return {"label": label, "inputs": summary_inputs, "conditions": conditions, "rules": rules}


def cache_key(*, summary: dict, label: str, tone: str) -> str:
    blob = json.dumps({"summary": summary, "label": label, "tone": tone}, sort_keys=True, default=str)
    return CACHE_PREFIX + hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """The model's usable text, or None with ``fallback`` saying why (None when no model is configured)."""

    text: str | None = None
    fallback: dict | None = None


def rejection(text) -> dict | None:
    """Why a model's text cannot be used (None when it can): not text, not two sentences, or advice."""
    from .reflections import lint_reflection

    if not isinstance(text, str) or not text.strip():
        return {"reason": "invalid_answer"}
    text = text.strip()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
    if len(text) > MAX_CHARS or len(sentences) != 2:
        return {"reason": "not_two_sentences"}
    violations = lint_reflection(text)
    if violations:
        return {"reason": "linter", "violations": violations}
    return None


def generate_reflection(*, label: str, features: dict, tone: str) -> Outcome:
    config = _settings()
    if not config:
        return Outcome()
    from django.core.cache import cache

    summary = feature_summary(label=label, features=features)
    key = cache_key(summary=summary, label=label, tone=tone)
    try:
        cached = cache.get(key)
    except Exception:
        cached = None
    if isinstance(cached, str) and rejection(cached) is None:
        return Outcome(text=cached)
    text, failure = _request(config, summary=summary, tone=tone)
    if failure is not None:
        return Outcome(fallback=failure)
    problem = rejection(text)
    if problem is not None:
        logger.info("reflection from the model rejected: %s", problem["reason"])
        return Outcome(fallback=problem)
    text = text.strip()
    try:
        cache.set(key, text, CACHE_SECONDS)
    except Exception:
        logger.warning("reflection cache unavailable")
    return Outcome(text=text)


def _request(config: dict, *, summary: dict, tone: str) -> tuple[str | None, dict | None]:
    body = {
        "model": config["model"],
        "temperature": 0,
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": json.dumps({"tone": tone, **summary}, sort_keys=True)},
        ],
    }
    headers = {"Authorization": f"Bearer {config['key']}"} if config["key"] else {}
    url = config["url"].rstrip("/") + "/chat/completions"
    try:
        response = httpx.post(url, json=body, headers=headers, timeout=config["timeout"])
        response.raise_for_status()
    except httpx.TimeoutException:
        logger.info("reflection generator timed out")
        return None, {"reason": "timeout"}
    except httpx.HTTPError as exc:
        logger.info("reflection generator unavailable: %s", type(exc).__name__)
        return None, {"reason": "unavailable"}
    try:
        content = response.json()["choices"][0]["message"]["content"]
        text = json.loads(content)["text"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None, {"reason": "invalid_answer"}
    if not isinstance(text, str):
        return None, {"reason": "invalid_answer"}
    return text, None
