#!/usr/bin/env python3
"""Bootstrap and run AI Trading Twin.

    python3 dev.py run    # the app on its embedded default at http://127.0.0.1:8000
    python3 dev.py test   # the test suite (pytest arguments may follow)

Each creates ./.venv on first use and installs the pinned requirements (again when they change).
Only Python 3.11+ is needed.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("TWIN_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _requirements_digest(req: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "requirements").glob("*.txt")):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(req.name.encode())
    return digest.hexdigest()


def ensure_venv(requirements: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs on the system Python
        sys.exit("Python 3.11 or newer is needed.")
    if not PY.exists():
        print(f"Creating virtualenv in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    req = ROOT / "requirements" / requirements
    stamp = VENV / f".installed-{requirements}"
    wanted = _requirements_digest(req)
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"Installing {req.relative_to(ROOT)} …", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip"],
                   check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(req)],
                   check=True)
    stamp.write_text(wanted)


def build_engine(env: dict) -> None:
    """Compile the scoring engine's hot modules (once per change of their source). Without a C compiler the
    engine runs as Python and this says so; with TWIN_REQUIRE_COMPILED_ENGINE=1 (CI) that is an error."""
    strict = env.get("TWIN_REQUIRE_COMPILED_ENGINE", "") not in ("", "0")
    code = subprocess.call([str(PY), "-m", "apps.bias.engine.compile", *(["--strict"] if strict else [])],
                           cwd=ROOT, env=env)
    if code:
        sys.exit(code)


def manage(*args: str, env: dict) -> None:
    subprocess.run([str(PY), "manage.py", *args], cwd=ROOT, env=env, check=True)


def cmd_run(argv: list[str]) -> int:
    ensure_venv("local.txt")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "twin.settings.local")}
    build_engine(env)
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("seed_demo", env=env)
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    print(f"\nAI Trading Twin is running at http://{host}:{port}/  (Ctrl+C stops it)\n", flush=True)
    try:
        return subprocess.call([str(BIN / "daphne"), "-b", host, "-p", port, "twin.asgi:application", *argv],
                               cwd=ROOT, env=env)
    except KeyboardInterrupt:
        return 0


def cmd_test(argv: list[str]) -> int:
    ensure_venv("test.txt")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.test"}
    build_engine(env)
    return subprocess.call([str(PY), "-m", "pytest", *argv], cwd=ROOT, env=env)


def main() -> int:
    commands = {"run": cmd_run, "test": cmd_test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
