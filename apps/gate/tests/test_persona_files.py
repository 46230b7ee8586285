"""The shipped persona files against their schema: the deployment check passes on them and names what is
wrong with a file that breaks it."""
from __future__ import annotations

import json
import shutil

from django.core import checks

from apps.gate import policy
from apps.gate.checks import persona_files_valid


def test_the_shipped_personas_pass_the_check_and_load():
    assert persona_files_valid(None) == []
    assert sorted(policy.persona_policies()) == sorted(policy.PERSONA_IDS)


def test_a_persona_that_breaks_its_schema_is_named_with_the_place(tmp_path, monkeypatch):
    shutil.copytree(policy.PERSONA_DIR, tmp_path, dirs_exist_ok=True)
    swing = json.loads((tmp_path / "swing.json").read_text(encoding="utf-8"))
    swing["tone"] = "loud"  # an object in the schema
    (tmp_path / "swing.json").write_text(json.dumps(swing), encoding="utf-8")
    (tmp_path / "indexdca.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(policy, "PERSONA_DIR", tmp_path)

    problems = persona_files_valid(None)

    assert {p.id for p in problems} == {"gate.E001"} and all(p.level == checks.ERROR for p in problems)
    messages = [p.msg for p in problems]
    assert any(m.startswith("Persona 'swing' does not match its schema at $.tone:") for m in messages), messages
    assert any(m.startswith("Persona 'indexdca' cannot be read:") for m in messages), messages
    assert not any("'crypto'" in m or "'shortterm'" in m for m in messages)


def test_the_check_is_a_deployment_check():
    assert persona_files_valid in checks.registry.registry.get_checks(include_deployment_checks=True)
    assert persona_files_valid not in checks.registry.registry.get_checks()
