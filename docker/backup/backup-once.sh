#!/bin/sh
# One PostgreSQL backup: a custom-format pg_dump (compressed, restorable table by table with pg_restore)
# written atomically into $BACKUP_DIR, then dumps older than $BACKUP_KEEP_DAYS days removed.
# Connection from the libpq variables (PGHOST, PGPORT) and POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB.
set -eu
: "${BACKUP_DIR:?set BACKUP_DIR}"
export PGUSER="${PGUSER:-${POSTGRES_USER:-postgres}}"
export PGPASSWORD="${PGPASSWORD:-${POSTGRES_PASSWORD:-}}"
export PGDATABASE="${PGDATABASE:-${POSTGRES_DB:-twin}}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="${BACKUP_DIR}/${PGDATABASE}-${stamp}.dump"
mkdir -p "$BACKUP_DIR"
pg_dump --format=custom --no-owner --no-privileges --file="${target}.partial" "$PGDATABASE"
pg_restore --list "${target}.partial" >/dev/null  # the archive is readable
mv "${target}.partial" "$target"
find "$BACKUP_DIR" -name "${PGDATABASE}-*.dump" -type f -mtime +"$keep_days" -exec rm -f {} +
echo "backup: ${target} ($(wc -c <"$target") bytes)"
