"""System check: the shipped persona files match `personas/persona.schema.json`.

Checked where a deployment checks itself (`manage.py check`, and `migrate`, which runs every check), not
each time a process first reads the personas: that would load the schema validator into every worker."""
from __future__ import annotations

import json

from django.core import checks


@checks.register()
def persona_files_valid(app_configs, **kwargs):
    from jsonschema import Draft202012Validator

    from . import policy

    schema = json.loads((policy.PERSONA_DIR / "persona.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    problems = []
    for persona in policy.PERSONA_IDS:
        path = policy.PERSONA_DIR / f"{persona}.json"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(checks.Error(f"Persona {persona!r} cannot be read: {exc}", id="gate.E001", obj=str(path)))
            continue
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            problems.append(checks.Error(f"Persona {persona!r} does not match its schema at {error.json_path}: "
                                         f"{error.message}", id="gate.E001", obj=str(path)))
    return problems
