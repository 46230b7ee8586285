"""Versioned JSON Schemas (draft 2020-12) for request bodies and event payloads, and their validation.

The schemas are data, in `schemas/requests/<name>.v<N>.json` and `schemas/events/<type>.v<N>.json`; each
carries its `$id` (`urn:twin:contract:<kind>:<name>:v<N>`). Clients fetch them from `GET /api/contracts/`.

* `contract_validate(kind=, name=, data=, version=None)` checks a body at the edge and raises
  `ValidationFailed` whose `fields` name the JSON path of every problem (`$.plan.stop`).
* Consumers accept version N and N−1 (`contract_accepts`): a payload of an older version still validates
  against the schema of its own version.

`jsonschema` is imported when a schema is first checked, not with this module: the apps that import it
load with every process (worker, relay, management commands), and with its format extras installed the
import builds a grammar (~1.5–3 s and ~15 MB) that only a process validating a contract needs. The web
process is one: `twin/asgi.py` calls `contracts_preload()` as it starts, so no user's first gate, journal or
simulation request waits for the import and the schema checks.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ValidationFailed

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
KINDS = ("requests", "events")
_FILE = re.compile(r"^(?P<name>[a-z][a-z0-9.-]*)\.v(?P<version>[1-9][0-9]*)\.json$")
MAX_ERRORS = 20


@dataclass(frozen=True)
class Contract:
    kind: str  # requests | events
    name: str
    version: int
    schema: dict

    @property
    def id(self) -> str:
        return self.schema["$id"]


@cache
def _contracts() -> dict[tuple[str, str, int], Contract]:
    from jsonschema import Draft202012Validator

    found: dict[tuple[str, str, int], Contract] = {}
    for kind in KINDS:
        for path in sorted((SCHEMA_DIR / kind).glob("*.json")):
            match = _FILE.match(path.name)
            if match is None:
                raise ValueError(f"Unexpected contract file name: {path.name}")
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            contract = Contract(kind=kind, name=match["name"], version=int(match["version"]), schema=schema)
            found[(kind, contract.name, contract.version)] = contract
    return found


@cache
def _validator(kind: str, name: str, version: int) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_contracts()[(kind, name, version)].schema,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def contracts_preload() -> int:
    """Import the validator and load and check every schema now (a web process, as it starts). -> how many."""
    return len(_contracts())


def contract_list() -> list[Contract]:
    return sorted(_contracts().values(), key=lambda c: (c.kind, c.name, c.version))


def contract_versions(*, kind: str, name: str) -> list[int]:
    return sorted(v for (k, n, v) in _contracts() if k == kind and n == name)


def contract_current(*, kind: str, name: str) -> int | None:
    versions = contract_versions(kind=kind, name=name)
    return versions[-1] if versions else None


def contract_accepts(*, kind: str, name: str) -> list[int]:
    """The versions a consumer accepts: the current one (N) and the one before it (N−1), when defined."""
    current = contract_current(kind=kind, name=name)
    if current is None:
        return []
    return [v for v in (current, current - 1) if v in contract_versions(kind=kind, name=name)]


def contract_get(*, kind: str, name: str, version: int) -> Contract | None:
    return _contracts().get((kind, name, version))


def event_types() -> list[str]:
    """Every event type that has a schema."""
    return sorted({name for (kind, name, _) in _contracts() if kind == "events"})


def _path(error: ValidationError) -> str:
    path = error.json_path
    if error.validator == "required":
        missing = re.match(r"'(.+?)' is a required property", error.message)
        if missing:
            return f"{path}.{missing[1]}"
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        extra = re.findall(r"'(.+?)'", error.message)
        if extra:
            return f"{path}.{extra[0]}"
    return path


def _message(error: ValidationError) -> str:
    if error.validator == "required":
        return "This field is required."
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return "Not a field of this contract."
    custom = (error.schema or {}).get("errorMessage") if isinstance(error.schema, dict) else None
    return custom or error.message


def contract_errors(*, kind: str, name: str, data, version: int | None = None) -> dict[str, list[str]]:
    """Problems with `data` per JSON path (`$` for the root); empty when it validates."""
    version = version or contract_current(kind=kind, name=name)
    if version is None or (kind, name, version) not in _contracts():
        raise KeyError(f"No {kind} contract {name!r} v{version}.")
    fields: dict[str, list[str]] = {}
    errors = sorted(_validator(kind, name, version).iter_errors(data), key=lambda e: (list(e.path), e.message))
    for error in errors[:MAX_ERRORS]:
        fields.setdefault(_path(error), []).append(_message(error))
    return fields


def contract_validate(*, kind: str, name: str, data, version: int | None = None) -> None:
    """Raise ValidationFailed (400, `fields` keyed by JSON path) when `data` breaks the contract."""
    fields = contract_errors(kind=kind, name=name, data=data, version=version)
    if fields:
        raise ValidationFailed("The request does not match its contract.", code="invalid", fields=fields)


def event_payload_errors(*, type: str, v: int, payload) -> dict[str, list[str]]:
    """Problems with an event payload against the schema of its type and version; a type or version without
    a schema is itself a problem (`$`)."""
    if contract_get(kind="events", name=type, version=v) is None:
        return {"$": [f"No schema for event {type!r} v{v}."]}
    return contract_errors(kind="events", name=type, data=payload, version=v)
