"""What every process loads: a worker, the relay and each management command run `django.setup()`, so a
module imported there is memory and start-up time in all of them. Those that only one path needs are
imported by that path."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import json, sys
import django
django.setup()
print(json.dumps({name: name in sys.modules for name in MODULES}))
"""


def _loaded(*modules: str, argv0: str = "manage.py", command: str = "check") -> dict[str, bool]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.base", "PYTHONPATH": str(ROOT)}
    # the settings read the command from sys.argv: the probe runs as `manage.py <command>` would
    script = f"import sys; MODULES = sys.argv[1:]; sys.argv = [{argv0!r}, {command!r}]\n" + PROBE
    done = subprocess.run([sys.executable, "-c", script, *modules], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_setup_loads_neither_a_schema_validator_nor_an_asgi_server():
    loaded = _loaded("jsonschema", "daphne.server", "twisted.internet.reactor", "django.contrib.admin")
    assert loaded == {"jsonschema": False, "daphne.server": False, "twisted.internet.reactor": False,
                      "django.contrib.admin": True}


def test_runserver_still_serves_asgi_through_daphnes_app():
    loaded = _loaded("daphne.server", command="runserver")
    assert loaded == {"daphne.server": True}


def test_a_contract_check_loads_the_validator_when_it_is_needed():
    script = PROBE.replace("print(", "from apps.core.contracts import contract_errors\n"
                                     "errors = contract_errors(kind='requests', name=REQ, data={})\n"
                                     "assert errors, errors\nprint(")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.base", "PYTHONPATH": str(ROOT)}
    from apps.core.contracts import contract_list

    name = next(c.name for c in contract_list() if c.kind == "requests" and c.schema.get("required"))
    done = subprocess.run([sys.executable, "-c", f"REQ = {name!r}\nMODULES = ['jsonschema']\n" + script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"jsonschema": True}
