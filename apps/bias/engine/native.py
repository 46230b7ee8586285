"""The scoring engine's hot modules compiled to C by Cython, used only when built from the source beside them.

The modules in ``COMPILED`` are ordinary Python. ``build`` compiles each one, unchanged, with Cython (no
type declarations, so Python's semantics hold: the same objects, the same float arithmetic, the same
output bit for bit) into ``BUILD_DIR``, under a name that carries the digest of the exact source it was
built from. ``install`` puts a finder first on ``sys.meta_path`` that imports such a module from its
binary only when a binary for the module's current source exists; otherwise the import falls through to
the ``.py`` file. An edited module therefore never runs stale compiled code, and a machine without a C
compiler simply runs the engine as Python (about a third slower, the same labels).

- ``python -m apps.bias.engine.compile`` builds what is missing (``dev.py`` runs it; so does the image).
- ``TWIN_ENGINE_PURE=1`` ignores the binaries (the reference run the identity test compares against).
- ``TWIN_ENGINE_BUILD_DIR`` moves the binaries (default: ``.build/engine`` in the project's root).
"""
from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

PACKAGE = __name__.rpartition(".")[0]
COMPILED = ("heuristics", "rules", "positions", "scoring")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]  # e.g. .cpython-311-x86_64-linux-gnu.so
# what the binaries are built with: part of their digest, so changing it builds them again
DIRECTIVES = {"language_level": 3, "binding": True, "annotation_typing": False}
BUILD_FORMAT = f"cython-pure-python-1 {sorted(DIRECTIVES.items())}".encode()


def build_dir() -> Path:
    return Path(os.environ.get("TWIN_ENGINE_BUILD_DIR") or ROOT / ".build" / "engine")


def pure() -> bool:
    """True when the binaries are to be ignored (``TWIN_ENGINE_PURE`` set to anything but 0 or empty)."""
    return os.environ.get("TWIN_ENGINE_PURE", "") not in ("", "0")


def binary_path(name: str, source: bytes | None = None) -> Path:
    """Where the binary of module ``name`` built from ``source`` (default: the module's file now) lives."""
    if source is None:
        source = (HERE / f"{name}.py").read_bytes()
    digest = hashlib.sha256(BUILD_FORMAT + b"\0" + source).hexdigest()[:24]
    return build_dir() / f"{name}-{digest}{SUFFIX}"


class CompiledEngineFinder(importlib.abc.MetaPathFinder):
    """Finds ``COMPILED`` modules' binaries built from their current source (see the module's docstring)."""

    def find_spec(self, fullname, path, target=None):
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in COMPILED or pure():
            return None
        binary = binary_path(name)
        if not binary.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, binary)  # an ExtensionFileLoader, by the suffix


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, CompiledEngineFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, CompiledEngineFinder())


def status() -> dict[str, str]:
    """Each compiled-capable module as imported now: ``compiled`` or ``source`` (``missing`` if not imported)."""
    out = {}
    for name in COMPILED:
        module = sys.modules.get(f"{PACKAGE}.{name}")
        out[name] = ("missing" if module is None
                     else "compiled" if str(getattr(module, "__file__", "")).endswith(SUFFIX) else "source")
    return out


def _sources() -> dict[str, bytes]:
    return {name: (HERE / f"{name}.py").read_bytes() for name in COMPILED}


def stale(*, force: bool = False, sources: dict[str, bytes] | None = None) -> list[str]:
    """The modules without a binary for their source (their files now, or ``sources``); all with ``force``."""
    sources = _sources() if sources is None else sources
    return [name for name in COMPILED if force or not binary_path(name, sources[name]).is_file()]


def build(*, force: bool = False) -> list[str]:
    """Compile the modules whose binary for the current source is missing (all with ``force``); the names
    built. Raises when Cython, setuptools or a C compiler is missing or the compilation fails; nothing is
    left half-written (each binary is moved into place whole)."""
    sources = _sources()  # read once: each binary is named after the bytes it was built from
    wanted = stale(force=force, sources=sources)
    if not wanted:
        return []
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    target = build_dir()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=".building-") as scratch:
        work = Path(scratch)
        extensions = [Extension(f"{PACKAGE}.{name}", [str(HERE / f"{name}.py")], extra_compile_args=["-g0"])
                      for name in wanted]
        modules = cythonize(extensions, build_dir=str(work / "c"), compiler_directives=DIRECTIVES, quiet=True,
                            force=True)
        distribution = Distribution({"ext_modules": modules, "script_name": "compile", "script_args": []})
        command = distribution.get_command_obj("build_ext")
        command.build_lib = str(work / "lib")
        command.build_temp = str(work / "obj")
        command.parallel = os.cpu_count() or 1
        distribution.run_command("build_ext")
        for name in wanted:
            if (HERE / f"{name}.py").read_bytes() != sources[name]:  # edited meanwhile: built from other bytes
                raise RuntimeError(f"{name}.py changed while it was being compiled; run the build again")
            os.replace(command.get_ext_fullpath(f"{PACKAGE}.{name}"), binary_path(name, sources[name]))
    current = {binary_path(name, sources[name]).name for name in COMPILED}
    for old in target.glob(f"*{SUFFIX}"):  # binaries of earlier sources
        if old.name not in current and old.name.split("-")[0] in COMPILED:
            old.unlink(missing_ok=True)
    return wanted
