"""One bounded JSON parser for every way JSON reaches us: API bodies, /v1 engine calls, socket frames.

`json_parse` refuses, as `JsonRejected` (a 400 `parse_error` on HTTP, an error frame on a socket):
  - more than `max_bytes` of input,
  - nesting deeper than `MAX_JSON_DEPTH` (measured before parsing, so a hostile body never recurses),
  - the NUL character in any string (`\\u0000`: PostgreSQL text and JSONB cannot hold it),
  - `NaN` / `Infinity` (not JSON), bytes that are not UTF-8, and anything else that is not JSON.
"""
from __future__ import annotations

import json
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import DomainError

MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 2 * 1024 * 1024

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS_ONLY = bytes(range(256)).translate(None, b"[]{}")
_ESCAPED_NUL = re.compile(rb'(?<!\\)(?:\\\\)*\\u0000')


class JsonRejected(DomainError):
    code = "parse_error"
    status = 400
    default_message = "The body is not valid JSON."


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when arrays/objects in `raw` nest deeper than `limit` (brackets inside strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _BRACKETS_ONLY)
    depth = 0
    for byte in brackets:
        depth += 1 if byte in (0x5B, 0x7B) else -1
        if depth > limit:
            return True
    return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def json_parse(raw: bytes | str, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH):
    """Parse `raw` as strict JSON within the limits above; raise JsonRejected otherwise."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise JsonRejected(f"The JSON is larger than {max_bytes} bytes.")
    if json_depth_exceeds(raw, max_depth):
        raise JsonRejected(f"The JSON nests deeper than {max_depth} levels.")
    if b"\x00" in raw or _ESCAPED_NUL.search(raw):
        raise JsonRejected("Text in the JSON must not contain the NUL character.")
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise JsonRejected(f"The body is not valid JSON: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8."
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}."
    return str(exc).rstrip(".") + "."


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the limits of `json_parse` (the body size limit is Django's)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_JSON_BYTES + 1) if stream is not None else b""
        try:
            return json_parse(raw)
        except JsonRejected as exc:
            raise ParseError(exc.message) from exc
