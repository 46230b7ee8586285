"""Optional reflections from an OpenAI-compatible chat endpoint (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL,
LLM_TIMEOUT). Only a summary of the features is sent — no ids, tokens or email. Answers are cached in Redis by
a hash of (features, label, tone). The caller lints every text and falls back to the template."""
from __future__ import annotations

import hashlib
import json
import logging

import httpx
from django.conf import settings
from django.core.cache import cache

from ..engine_io import json_safe

logger = logging.getLogger(__name__)

CACHE_SECONDS = 7 * 24 * 3600
PRIVATE_KEYS = {"id", "tradeid", "trade_id", "userid", "user_id", "email", "extid", "ext_id", "token"}
SYSTEM_PROMPT = (
    "You are a trading-behaviour coach. Given a behaviour label and the evidence behind it, write exactly two "
    "sentences about the trader's behaviour with one concrete habit to try. Never tell the trader to buy, sell "
    "or hold anything, never give price targets, never promise profit, never predict markets. "
    'Answer as JSON: {"text": "..."}.'
)


def feature_summary(features: dict) -> dict:
    """The evidence without identifiers: numbers, booleans and condition names only."""
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if str(k).lower() not in PRIVATE_KEYS}
        if isinstance(value, list):
            return [clean(v) for v in value[:20]]
        return value

    return clean(json_safe(features))


def llm_reflect(*, label: str, features: dict, tone: str) -> str | None:
    """The model's reflection text, or None when no model is configured or it did not answer usefully."""
    if not settings.LLM_BASE_URL:
        return None
    summary = {"label": label, "tone": tone, "evidence": feature_summary(features)}
    digest = hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode()).hexdigest()
    key = f"bias:llm:{settings.LLM_MODEL}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    body = {
        "model": settings.LLM_MODEL,
        "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                     {"role": "user", "content": json.dumps(summary, sort_keys=True)}],
        "response_format": {"type": "json_object"},
        "temperature": 0.2,
    }
    headers = {"Authorization": f"Bearer {settings.LLM_API_KEY}"} if settings.LLM_API_KEY else {}
    try:
        response = httpx.post(f"{settings.LLM_BASE_URL.rstrip('/')}/chat/completions", json=body,
                              headers=headers, timeout=settings.LLM_TIMEOUT)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        text = json.loads(content)["text"]
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
        logger.warning("LLM reflection unavailable: %s", type(exc).__name__)
        return None
    if not isinstance(text, str) or not text.strip():
        return None
    text = " ".join(text.split())
    cache.set(key, text, CACHE_SECONDS)
    return text
