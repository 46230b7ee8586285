"""Build the compiled scoring engine: ``python -m apps.bias.engine.compile [--force] [--strict] [--list]``.

Compiles the modules whose binary for their current source is missing (see ``native``) and says so; says
nothing when every binary is up to date (``--list`` shows them). Without a C compiler or Cython the engine
runs as Python: that is reported and the exit status is 0, unless ``--strict`` (the image build and CI,
where the compiled engine is expected). The compiler's own output is shown only when it fails.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time

from . import native


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="compile every module again")
    parser.add_argument("--strict", action="store_true", help="fail when the engine cannot be compiled")
    parser.add_argument("--list", action="store_true", help="show each module's binary")
    args = parser.parse_args(argv)
    wanted = native.stale(force=args.force)
    if wanted:
        print(f"Compiling the scoring engine ({', '.join(wanted)}; once per change of their source) …", flush=True)
        started = time.monotonic()
        noise = io.StringIO()
        try:
            with contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise):
                native.build(force=args.force)
        except Exception as exc:  # noqa: BLE001 - no compiler, no Cython or a failed compilation: said, not hidden
            print(noise.getvalue()[-4000:], file=sys.stderr)
            print(f"Scoring engine not compiled ({type(exc).__name__}: {exc}); it runs as Python (slower, the same "
                  "labels).", flush=True)
            return 1 if args.strict else 0
        print(f"Compiled the scoring engine in {time.monotonic() - started:.0f} s.", flush=True)
    if args.list:
        for name in native.COMPILED:
            print(f"{name}: {native.binary_path(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
