"""`scripts/supply_chain.py`: what a pip-audit run means for the build — a vulnerability fails it, an
unreachable or ignorant advisory service is reported as not audited, never as a pass."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "supply_chain.py"
spec = importlib.util.spec_from_file_location("supply_chain", SCRIPT)
supply_chain = importlib.util.module_from_spec(spec)
sys.modules["supply_chain"] = supply_chain
spec.loader.exec_module(supply_chain)


def test_a_known_vulnerability_fails_the_build():
    report = {"dependencies": [
        {"name": "django", "version": "3.2.0", "vulns": [{"id": "PYSEC-2021-98", "fix_versions": ["3.2.1"]}]},
        {"name": "redis", "version": "8.1.0", "vulns": []}]}

    outcome = supply_chain.audit_classify(returncode=1, report=report, output="", required=False)

    assert (outcome.status, outcome.exit_code) == ("vulnerable", 1)
    assert outcome.message == "pip-audit: KNOWN VULNERABILITIES: django 3.2.0: PYSEC-2021-98"


def test_a_clean_audit_passes():
    report = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}

    outcome = supply_chain.audit_classify(returncode=0, report=report, output="", required=True)

    assert (outcome.status, outcome.exit_code) == ("clean", 0)
    assert outcome.message == "pip-audit: 1 packages audited, no known vulnerabilities"


def test_packages_the_service_does_not_know_are_reported_as_not_audited():
    report = {"dependencies": [
        {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)"},
        {"name": "redis", "version": "8.1.0", "vulns": []}]}

    lenient = supply_chain.audit_classify(returncode=0, report=report, output="", required=False)
    strict = supply_chain.audit_classify(returncode=0, report=report, output="", required=True)

    assert (lenient.status, lenient.exit_code) == ("incomplete", 0)
    assert lenient.message.startswith("pip-audit: INCOMPLETE: 1 of 2 packages are unknown")
    assert (strict.status, strict.exit_code) == ("incomplete", 1)


def test_a_broken_audit_without_a_network_error_fails():
    outcome = supply_chain.audit_classify(returncode=2, report=None, output="usage: pip-audit ...", required=False)

    assert (outcome.status, outcome.exit_code) == ("unreachable", 1)


def test_an_unreachable_advisory_service_is_reported_not_passed(tmp_path):
    (tmp_path / "production-lock.txt").write_text("django==5.2.19\n")
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "NO_PROXY": "", "no_proxy": ""}
    env.pop("PIP_AUDIT_REQUIRED", None)

    lenient = subprocess.run([sys.executable, str(SCRIPT), "audit", str(tmp_path)], env=env, capture_output=True,
                             text=True, timeout=300)
    strict = subprocess.run([sys.executable, str(SCRIPT), "audit", str(tmp_path)],
                            env={**env, "PIP_AUDIT_REQUIRED": "1"}, capture_output=True, text=True, timeout=300)

    assert lenient.returncode == 0, lenient.stderr
    assert "pip-audit: NOT AUDITED: the vulnerability service could not be reached" in lenient.stderr
    assert (tmp_path / "pip-audit.status").read_text() == "unreachable\n"
    assert strict.returncode == 1
