"""Supply-chain checks run by `.ci/run`: the production dependency closure, its CycloneDX SBOM, pip-audit.

    python scripts/supply_chain.py lock  OUT_DIR   # pip resolves requirements/production.txt → OUT_DIR/production-lock.txt
    python scripts/supply_chain.py sbom  OUT_DIR   # CycloneDX JSON of that closure → OUT_DIR/sbom.cdx.json
    python scripts/supply_chain.py audit OUT_DIR   # pip-audit of that closure → OUT_DIR/pip-audit.json

`audit` exits 1 when a known vulnerability is found. When the advisory service cannot be reached, or it
does not know some of the packages, nothing is claimed: the step prints a loud NOT AUDITED / INCOMPLETE
line, writes `pip-audit.status`, and exits 0 — unless `PIP_AUDIT_REQUIRED=1`, which makes those outcomes
fail too (set it where the advisory service must be reachable).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class AuditOutcome:
    status: str  # clean | vulnerable | incomplete | unreachable
    message: str
    exit_code: int


def audit_classify(*, returncode: int, report: dict | None, output: str, required: bool) -> AuditOutcome:
    """What a pip-audit run means for the build."""
    if report is None:
        network = any(word in output for word in ("ConnectionError", "NameResolutionError", "Max retries exceeded",
                                                  "ProxyError", "Timeout", "ServiceError", "Temporary failure"))
        reason = "the vulnerability service could not be reached" if network else "pip-audit gave no report"
        return AuditOutcome("unreachable", f"pip-audit: NOT AUDITED: {reason} (exit {returncode})",
                            1 if required or not network else 0)
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if vulnerable:
        found = ", ".join(f"{d['name']} {d.get('version', '')}: {', '.join(v['id'] for v in d['vulns'])}"
                          for d in vulnerable)
        return AuditOutcome("vulnerable", f"pip-audit: KNOWN VULNERABILITIES: {found}", 1)
    if skipped:
        return AuditOutcome(
            "incomplete",
            f"pip-audit: INCOMPLETE: {len(skipped)} of {len(dependencies)} packages are unknown to the advisory "
            f"service and were not audited (e.g. {skipped[0]['name']}); no vulnerability among the others",
            1 if required else 0)
    return AuditOutcome("clean", f"pip-audit: {len(dependencies)} packages audited, no known vulnerabilities", 0)


def lock(out: Path) -> Path:
    report = out / "production-resolved.json"
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                    "--report", str(report), "-r", str(ROOT / "requirements" / "production.txt")], check=True)
    installs = json.loads(report.read_text())["install"]
    target = out / "production-lock.txt"
    target.write_text("".join(f"{item['metadata']['name']}=={item['metadata']['version']}\n"
                              for item in sorted(installs, key=lambda item: item["metadata"]["name"].lower())))
    print(f"supply chain: {len(installs)} production packages resolved → {target}")
    return target


def sbom(out: Path) -> Path:
    target = out / "sbom.cdx.json"
    subprocess.run([str(BIN / "cyclonedx-py"), "requirements", str(out / "production-lock.txt"), "--of", "JSON",
                    "--output-reproducible", "--validate", "-o", str(target)], check=True)
    components = len(json.loads(target.read_text()).get("components", []))
    print(f"supply chain: CycloneDX SBOM with {components} components → {target}")
    return target


def audit(out: Path, *, extra_args: list[str] | None = None) -> AuditOutcome:
    target = out / "pip-audit.json"
    target.unlink(missing_ok=True)
    command = [str(BIN / "pip-audit"), "-r", str(out / "production-lock.txt"), "--no-deps", "--disable-pip",
               "--progress-spinner", "off", "-f", "json", "-o", str(target), *(extra_args or [])]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    report = json.loads(target.read_text()) if target.exists() and target.stat().st_size else None
    outcome = audit_classify(returncode=result.returncode, report=report, output=result.stdout + result.stderr,
                             required=os.environ.get("PIP_AUDIT_REQUIRED") == "1")
    (out / "pip-audit.status").write_text(outcome.status + "\n")
    print(outcome.message, file=sys.stderr if outcome.status != "clean" else sys.stdout)
    return outcome


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"lock", "sbom", "audit"}:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    if argv[0] == "lock":
        lock(out)
    elif argv[0] == "sbom":
        sbom(out)
    else:
        return audit(out, extra_args=argv[2:]).exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
