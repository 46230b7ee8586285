"""What every process loads: a worker, the relay and each management command run `django.setup()` and the
system checks (Celery's Django fixup and `BaseCommand` run them as they start), so a module imported there is
memory and start-up time in all of them. Those that only one path needs are imported by that path."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _loaded(*modules: str, command: str = "check", then: str = "") -> dict[str, bool]:
    """Which of `modules` a fresh process has imported after `django.setup()`, the system checks (not the
    deployment ones) and the code `then`, started as `manage.py <command>` (the settings read the command)."""
    script = "\n".join((
        f"import json, sys; sys.argv = ['manage.py', {command!r}]",
        "import django; django.setup()",
        "from django.core.checks import run_checks; run_checks()",
        then,
        f"print(json.dumps({{name: name in sys.modules for name in {list(modules)!r}}}))",
    ))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.base", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_setup_and_its_checks_load_neither_a_schema_validator_nor_an_asgi_server():
    loaded = _loaded("jsonschema", "daphne.server", "twisted.internet.reactor", "django.contrib.admin")
    assert loaded == {"jsonschema": False, "daphne.server": False, "twisted.internet.reactor": False,
                      "django.contrib.admin": True}


def test_runserver_still_serves_asgi_through_daphnes_app():
    assert _loaded("daphne.server", command="runserver") == {"daphne.server": True}


def test_a_contract_check_loads_the_validator_when_it_is_needed():
    from apps.core.contracts import contract_list

    name = next(c.name for c in contract_list() if c.kind == "requests" and c.schema.get("required"))
    then = ("from apps.core.contracts import contract_errors\n"
            f"assert contract_errors(kind='requests', name={name!r}, data={{}})")
    assert _loaded("jsonschema", then=then) == {"jsonschema": True}


def test_a_web_process_loads_the_contracts_as_it_starts_not_on_its_first_request():
    then = ("import twin.asgi\n"
            "from apps.core.contracts import _contracts\n"
            "assert _contracts.cache_info().currsize == 1")
    assert _loaded("jsonschema", then=then) == {"jsonschema": True}
