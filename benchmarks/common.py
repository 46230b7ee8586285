"""Small helpers shared by the benchmark scripts: machine facts, percentiles, JSON output."""
from __future__ import annotations

import json
import os
import platform
import sys


def machine_info() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (pct in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def print_json(result: dict) -> None:
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


def database_create(pg_url: str, name: str) -> str:
    """A fresh, empty benchmark database (an old one of that name is dropped first). Returns its URL."""
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    return f"{pg_url}/{name}"


def database_drop(pg_url: str, name: str) -> None:
    """Close this process's Django connections (if Django was set up) and drop the benchmark database."""
    import psycopg

    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # Django never set up
        pass
    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def json_string_after(raw: str, marker: str) -> str | None:
    """The JSON string that follows `marker` (e.g. '"eventId": "') in a frame's text, read without decoding
    the frame (a socket client on the machine it measures stays light); None when the marker is absent."""
    start = raw.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return raw[start:raw.index('"', start)]
