"""Log lines: one event per line with `ts`, `level`, `logger`, `event`, `requestId`, `userRef`, `route`.

Every stdlib logger (ours, Django's, Celery's) goes through structlog's `ProcessorFormatter`, which adds the
timestamp, level, logger name and the bound context, formats exception traces as text, redacts, then
renders JSON lines (`LOG_FORMAT=json`, production) or readable lines (`LOG_FORMAT=console`, the embedded
default). The settings name the formatter factory by path, so nothing here is imported before Django has
read its settings.

Redaction (`redact`) runs last before rendering, on every value including the message and the trace:
values under sensitive keys are replaced whole; inside any text, e-mail addresses, bearer tokens,
`key=value` secrets, cookies and delimited rows (CSV contents) are masked.
"""
from __future__ import annotations

import re
from typing import Any

import structlog

REDACTED = "[redacted]"

# Keys whose value never reaches a log line (matched as a substring of the lower-cased key, `-` → `_`).
SENSITIVE_KEYS = (
    "password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "cookie", "session",
    "csrf", "signature", "credential", "private_key", "email", "journal", "note", "csv", "file_content",
    "body", "content", "text", "dek", "kek",
)
# Keys this module writes itself, never redacted.
_OWN_KEYS = frozenset({"ts", "level", "logger", "event", "requestId", "userRef", "route", "exception", "task",
                       "taskId", "socket", "method", "status", "duration_ms"})

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}")
_KEY_VALUE = re.compile(
    r"(?i)([\"']?(?:password|passwd|secret|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|token|"
    r"authorization|cookie|set-cookie|sessionid|csrftoken|signature|x-signature|x-mbx-apikey)[\"']?\s*[=:]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s,;&]+)")
_COOKIE_HEADER = re.compile(r"(?i)((?:set-)?cookie\s*[:=]\s*)[^\n]+")
# A delimited row: four or more fields separated by commas, semicolons or tabs not followed by a space (an
# export's line; prose and code put a space after a comma).
_ROW = re.compile(r"[^\n,;\t]*(?:(?:,(?! )|;(?! )|\t)[^\n,;\t]*){3,}")


def _is_sensitive(key: str) -> bool:
    if key in _OWN_KEYS:
        return False
    normal = key.lower().replace("-", "_")
    return any(word in normal for word in SENSITIVE_KEYS)


def redact_text(text: str) -> str:
    text = _COOKIE_HEADER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _KEY_VALUE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _EMAIL.sub("[email]", text)
    return _ROW.sub(lambda m: m.group(0) if "[redacted]" in m.group(0) else "[row]", text)


def redact_value(value: Any, *, depth: int = 0) -> Any:
    if depth > 6:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {key: (REDACTED if isinstance(key, str) and _is_sensitive(key) else redact_value(item, depth=depth + 1))
                for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [redact_value(item, depth=depth + 1) for item in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact_text(str(value))


def redact(logger: Any, method_name: str, event_dict: dict) -> dict:
    """structlog processor: the event with secrets, personal data and user content masked."""
    for key in list(event_dict):
        if key.startswith("_"):
            continue
        if _is_sensitive(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = redact_value(event_dict[key])
    return event_dict


def _request_fields(logger: Any, method_name: str, event_dict: dict) -> dict:
    """Django's request logger passes the request object as an extra: keep its method only."""
    request = event_dict.pop("request", None)
    if request is not None and "method" not in event_dict:
        event_dict["method"] = getattr(request, "method", None)
    if "status_code" in event_dict:
        event_dict["status"] = event_dict.pop("status_code")
    return event_dict


_LEADING = ("ts", "level", "logger", "event", "requestId", "userRef", "route")


def _ordered(logger: Any, method_name: str, event_dict: dict) -> dict:
    """The fixed keys first, so lines read alike."""
    ordered = {key: event_dict.pop(key) for key in _LEADING if key in event_dict}
    ordered.update(event_dict)
    return ordered


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
    ]


def formatter(*, style: str | None = None) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of the console handler: JSON lines or readable lines (`settings.LOG_FORMAT`)."""
    if style is None:
        from django.conf import settings

        style = getattr(settings, "LOG_FORMAT", "json")
    renderer = (structlog.processors.JSONRenderer(sort_keys=False) if style == "json"
                else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback))
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), structlog.stdlib.ExtraAdder(), _request_fields],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.StackInfoRenderer(),
            redact,
            _ordered,
            renderer,
        ],
    )


def structlog_configure() -> None:
    """structlog's own loggers (`structlog.get_logger`) hand their events to the stdlib handlers above."""
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(*, level: str = "INFO") -> dict:
    """The LOGGING setting: one console handler with the structlog formatter for every logger."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "apps.core.observability.logs.formatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
            "daphne": {"level": "WARNING"},
            "celery": {"level": level},
        },
    }
