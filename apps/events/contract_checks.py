"""Every event a test run writes to the outbox must match its JSON Schema (collected through the root conftest).

After each test that uses the database, every outbox row still in it (socket control events aside) is checked
against the schema of its type and version; a type without a schema fails too. So an event added anywhere in
the project is covered as soon as a test emits it. The outbox's own mechanics tests (`apps/events/tests/`)
append synthetic payloads on purpose and are not checked.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from apps.core.contracts import event_payload_errors

DB_FIXTURES = ("db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback")
EXEMPT = (Path("apps") / "events" / "tests",)
CONTROL_PREFIX = "socket."


def outbox_contract_violations() -> list[str]:
    """One line per stored outbox row whose payload breaks its schema (or has none)."""
    from .models import EventOutbox  # the plugin is loaded before Django's apps are ready

    problems = []
    for event_id, type_, v, payload in (EventOutbox.objects.exclude(type__startswith=CONTROL_PREFIX)
                                        .order_by("ts", "id").values_list("id", "type", "v", "payload")):
        errors = event_payload_errors(type=type_, v=v, payload=payload)
        if errors:
            problems.append(f"{type_} v{v} ({event_id}): {errors}")
    return problems


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call_passed = report.passed
    return report


def _uses_database(request) -> bool:
    return request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in DB_FIXTURES)


@pytest.fixture(autouse=True)
def outbox_events_match_their_contracts(request):
    path = Path(str(request.node.path)).resolve()
    root = Path(__file__).resolve().parents[2]
    exempt = any(path.is_relative_to(root / part) for part in EXEMPT)
    if exempt or not _uses_database(request):
        yield
        return
    for name in DB_FIXTURES:  # set the database up first, so this check runs before it is rolled back
        if name in request.fixturenames:
            request.getfixturevalue(name)
    yield
    if not getattr(request.node, "rep_call_passed", True):
        return
    problems = outbox_contract_violations()
    if problems:
        pytest.fail("Outbox events that break their JSON Schema (apps/core/contracts/schemas/events/):\n"
                    + "\n".join(problems[:20]), pytrace=False)
