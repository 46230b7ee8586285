"""Deployment check: the shipped persona files match `personas/persona.schema.json` (`gate.E001`).

A deployment check (`manage.py check --deploy`), not one of the checks every process runs: a Celery worker
and each management command run those as they start, and this one loads the schema validator."""
from __future__ import annotations

from django.core import checks


@checks.register(deploy=True)
def persona_files_valid(app_configs, **kwargs):
    from jsonschema import Draft202012Validator

    from . import policy

    validator = Draft202012Validator(policy.persona_read("persona.schema"))
    problems = []
    for persona in policy.PERSONA_IDS:
        obj = str(policy.persona_path(persona))
        try:
            document = policy.persona_read(persona)
        except (OSError, ValueError) as exc:
            problems.append(checks.Error(f"Persona {persona!r} cannot be read: {exc}", id="gate.E001", obj=obj))
            continue
        problems.extend(checks.Error(f"Persona {persona!r} does not match its schema at {error.json_path}: "
                                     f"{error.message}", id="gate.E001", obj=obj)
                        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)))
    return problems
