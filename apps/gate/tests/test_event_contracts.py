"""Every event type the code emits has a JSON Schema, and the outbox check catches a payload that breaks one.

(Every outbox row any database test writes is validated after the test by `apps.events.contract_checks`.)"""
import ast
from pathlib import Path

import pytest
from django.conf import settings

from apps.core.contracts import contract_accepts, contract_current, contract_get, event_types
from apps.events.contract_checks import outbox_contract_violations
from apps.events.models import EventOutbox
from apps.events.services import event_append

APPS = Path(settings.BASE_DIR) / "apps"
EMITTERS = {"event_append", "event_append_many"}
# DESIGN.md §6: the socket's server → client events
DESIGNED = {"coach.reflect", "import.progress", "simulation.ready", "digest.ready", "export.ready",
            "pretrade.decision.returned", "pretrade.override.resolved", "cooldown.started", "cooldown.ended",
            "rules.breach.detected"}


def _constants(tree: ast.Module) -> dict[str, str]:
    return {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            for target in node.targets if isinstance(target, ast.Name)}


def emitted_event_types() -> dict[str, list[str]]:
    """type → where it is emitted, for every `event_append(…, type=…)` call outside tests."""
    found: dict[str, list[str]] = {}
    for path in sorted(APPS.rglob("*.py")):
        if "tests" in path.parts or path.name == "testing.py" or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in EMITTERS:
                continue
            keyword = next((k.value for k in node.keywords if k.arg == "type"), None)
            where = f"{path.relative_to(APPS.parent)}:{node.lineno}"
            if isinstance(keyword, ast.Constant) and isinstance(keyword.value, str):
                found.setdefault(keyword.value, []).append(where)
            elif isinstance(keyword, ast.Name) and keyword.id in constants:
                found.setdefault(constants[keyword.id], []).append(where)
            elif path.parts[-2:] != ("events", "services.py"):  # the appenders themselves pass `type` through
                found.setdefault(f"<not a literal: {ast.unparse(keyword) if keyword else None}>", []).append(where)
    return found


def test_every_emitted_event_type_has_a_schema():
    emitted = emitted_event_types()
    assert {"import.progress", "coach.reflect", "pretrade.decision.returned", "cooldown.ended"} <= set(emitted)
    missing = {t: where for t, where in emitted.items() if t not in event_types()}
    assert missing == {}


def test_every_designed_socket_event_has_a_schema_and_consumers_accept_n_and_n_minus_1():
    assert DESIGNED <= set(event_types())
    for name in event_types():
        current = contract_current(kind="events", name=name)
        previous = [current - 1] if contract_get(kind="events", name=name, version=current - 1) else []
        assert contract_accepts(kind="events", name=name) == [current, *previous]


@pytest.mark.django_db
def test_the_outbox_check_reports_a_payload_that_breaks_its_schema(user):
    event_append(user=user, type="pretrade.override.resolved",
                 payload={"intentId": "i1", "overrideId": "o1", "status": "acknowledged",
                          "resolvedAt": "2026-11-29T10:00:00+00:00"})
    assert outbox_contract_violations() == []
    bad = event_append(user=user, type="cooldown.ended", payload={"cooldownId": "c1", "reason": "boredom"})
    unknown = event_append(user=user, type="made.up", payload={})
    problems = outbox_contract_violations()
    assert problems == [
        f"cooldown.ended v1 ({bad.id}): {{'$.endedAt': ['This field is required.'], "
        f"'$.endsAt': ['This field is required.'], '$.reason': [\"'boredom' is not one of ['losses', 'breach']\"]}}",
        f"made.up v1 ({unknown.id}): {{'$': [\"No schema for event 'made.up' v1.\"]}}",
    ]
    EventOutbox.objects.filter(id__in=[bad.id, unknown.id]).delete()  # leave the run's own check clean
