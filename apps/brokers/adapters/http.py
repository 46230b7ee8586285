"""Resilient HTTP for exchange calls: timeouts, retries with exponential backoff and full jitter on
429/418/5xx and transport errors (honouring a capped ``Retry-After``), and a circuit breaker per base URL
whose state lives in the shared cache so every process sees it.

Tunables (settings, all optional): BROKER_HTTP_TIMEOUT, BROKER_HTTP_MAX_ATTEMPTS (5),
BROKER_BACKOFF_BASE (0.25 s), BROKER_BACKOFF_CAP (8 s), BROKER_RETRY_AFTER_CAP (30 s),
BROKER_CIRCUIT_THRESHOLD (5 consecutive failures), BROKER_CIRCUIT_COOLDOWN (30 s).
"""
from __future__ import annotations

import functools
import hashlib
import logging
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import httpx
from django.conf import settings
from django.core.cache import cache

from .errors import BrokerError, BrokerUnavailable

logger = logging.getLogger("apps.brokers.http")

RETRYABLE = {418, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    timeout: float = 10.0
    max_attempts: int = 5
    backoff_base: float = 0.25
    backoff_cap: float = 8.0
    retry_after_cap: float = 30.0
    circuit_threshold: int = 5
    circuit_cooldown: float = 30.0

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            timeout=float(settings.BROKER_HTTP_TIMEOUT),
            max_attempts=int(settings.BROKER_HTTP_MAX_ATTEMPTS),
            backoff_base=float(settings.BROKER_BACKOFF_BASE),
            backoff_cap=float(settings.BROKER_BACKOFF_CAP),
            retry_after_cap=float(settings.BROKER_RETRY_AFTER_CAP),
            circuit_threshold=int(settings.BROKER_CIRCUIT_THRESHOLD),
            circuit_cooldown=float(settings.BROKER_CIRCUIT_COOLDOWN),
        )

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after:
            try:
                return max(0.0, min(float(retry_after), self.retry_after_cap))
            except ValueError:
                pass  # an HTTP date: fall back to backoff
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1))))


class CircuitBreaker:
    """Opens after `threshold` consecutive failures (5xx / transport) against one base URL; while open,
    calls fail fast with BrokerUnavailable. After the cooldown one call is let through (half-open):
    success closes it, failure re-opens it."""

    def __init__(self, base_url: str, *, threshold: int, cooldown: float, label: str):
        digest = hashlib.sha256(base_url.encode()).hexdigest()[:16]
        self.key = f"brokers:circuit:{digest}"
        self.threshold = threshold
        self.cooldown = cooldown
        self.label = label

    def state(self) -> dict:
        return cache.get(self.key) or {"failures": 0, "open_until": 0.0}

    def is_open(self) -> bool:
        return self.state()["open_until"] > time.time()

    def before_call(self) -> None:
        if self.is_open():
            raise BrokerUnavailable(f"{self.label} is failing repeatedly; calls are paused for a moment. "
                                    "Try again shortly.")

    def record_success(self) -> None:
        if cache.get(self.key) is not None:
            cache.delete(self.key)

    def record_failure(self) -> None:
        state = self.state()
        state["failures"] += 1
        if state["failures"] >= self.threshold:
            state["open_until"] = time.time() + self.cooldown
            logger.warning("circuit opened for %s after %d consecutive failures", self.label, state["failures"])
        cache.set(self.key, state, timeout=int(self.cooldown * 4) + 60)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verified TLS context per process: loading the CA bundle costs ~60 ms per client otherwise."""
    return ssl.create_default_context(cafile=certifi.where())


class BrokerHttp:
    """One exchange's HTTP client. `request` returns any non-retryable response (2xx or 4xx) and raises
    BrokerError when retries are exhausted or BrokerUnavailable when the circuit is open."""

    def __init__(self, base_url: str, *, label: str, policy: RetryPolicy | None = None,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.policy = policy or RetryPolicy.from_settings()
        origin = urlsplit(self.base_url)
        self.breaker = CircuitBreaker(f"{origin.scheme}://{origin.netloc}", threshold=self.policy.circuit_threshold,
                                      cooldown=self.policy.circuit_cooldown, label=label)
        self.client = httpx.Client(timeout=self.policy.timeout, transport=transport, verify=_tls_context(),
                                   headers={"User-Agent": "ai-trading-twin/1.0", "Accept": "application/json"})

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, url: str, *, params: dict | Callable[[], dict] | None = None,
                headers: dict | Callable[[], dict] | None = None, data: dict | None = None) -> httpx.Response:
        """`params`/`headers` may be callables so signed requests are re-signed on every attempt."""
        full_url = url if url.startswith(("http://", "https://")) else f"{self.base_url}{url}"
        path = urlsplit(full_url).path
        last = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            self.breaker.before_call()
            try:
                response = self.client.request(
                    method, full_url,
                    params=params() if callable(params) else params,
                    headers=headers() if callable(headers) else headers,
                    data=data,
                )
            except httpx.TransportError as exc:
                self.breaker.record_failure()
                last = f"{type(exc).__name__}"
                retry_after = None
            else:
                if response.status_code not in RETRYABLE:
                    self.breaker.record_success()
                    return response
                if response.status_code >= 500:
                    self.breaker.record_failure()
                last = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After")
            if attempt == self.policy.max_attempts:
                break
            delay = self.policy.delay(attempt, retry_after)
            logger.warning("%s %s %s failed (%s); retry %d/%d in %.2fs", self.label, method, path, last,
                           attempt, self.policy.max_attempts - 1, delay)
            time.sleep(delay)
        raise BrokerError(f"{self.label} did not answer after {self.policy.max_attempts} attempts ({last}).")


def error_detail(response: httpx.Response) -> str:
    """A short, secret-free description of an error body."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("msg", "message", "error_description", "error_details", "error"):
            if body.get(key):
                return f"HTTP {response.status_code}: {str(body[key])[:200]}"
    return f"HTTP {response.status_code}"
