"""`scripts/restore_drill.sh` against the real PostgreSQL: dump, restore into a new database, counts compared."""
from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "restore_drill.sh"


def _url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db.get('USER') or 'postgres'}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def _drill_databases() -> list[str]:
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        return [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'restore_drill_%'")]


@pytest.mark.django_db(transaction=True)
def test_the_drill_restores_every_table_with_its_rows_while_the_source_is_written(user, other_user):
    source = _url(connection.settings_dict["NAME"])
    before = set(_drill_databases())
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("CREATE TABLE drill_probe (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())")
        conn.execute("INSERT INTO drill_probe (at) SELECT now() FROM generate_series(1, 500)")
    stop = threading.Event()
    written = []

    def writer() -> None:  # commits rows all through the drill: the counts must still match the dump
        with psycopg.connect(source, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO drill_probe DEFAULT VALUES")
                written.append(1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = subprocess.run(["bash", str(SCRIPT), source], capture_output=True, text=True, timeout=300)
    finally:
        stop.set()
        thread.join(timeout=30)
        with psycopg.connect(source, autocommit=True) as conn:
            conn.execute("DROP TABLE drill_probe")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if line.endswith((" ok", "MISMATCH"))}
    assert lines["accounts_user"] == ["2", "2", "ok"]
    assert "events_eventoutbox" in lines  # the partitioned outbox comes back too
    probe_rows = int(lines["drill_probe"][0])
    assert 500 <= probe_rows and lines["drill_probe"][2] == "ok"
    assert written, "the writer committed rows during the drill"
    assert "mismatches 0" in result.stdout.splitlines()[-1]
    assert set(_drill_databases()) == before  # the scratch database is dropped


def test_a_source_that_cannot_be_read_fails_the_drill_and_leaves_nothing():
    before = set(_drill_databases())

    result = subprocess.run(["bash", str(SCRIPT), _url("no_such_database_h19")], capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 2
    assert "could not open a snapshot on no_such_database_h19" in result.stderr
    assert set(_drill_databases()) == before
