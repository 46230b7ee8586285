#!/usr/bin/env bash
# Restore drill: dump a PostgreSQL database, restore the dump into a new scratch database and compare the
# row count of every table, taken in the same snapshot as the dump (so a live database can be drilled).
#
#   scripts/restore_drill.sh [--keep] [--dump-file PATH] SOURCE_URL
#
#   SOURCE_URL   postgres://user:password@host:port/dbname (the database to drill)
#   --keep       keep the scratch database (default: dropped at the end, whatever the outcome)
#   --dump-file  also keep the custom-format dump at PATH
#
# Prints one line per table ("table  source  restored  ok|MISMATCH") and a summary line; exits 0 when
# every count matches, 1 on a mismatch, 2 when a step fails (dump, create, restore). Needs pg_dump,
# pg_restore and psql of a version >= the server's, and the right to create databases.
set -euo pipefail

keep=0
dump_file=""
while [ $# -gt 1 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    --dump-file) dump_file="$2"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 1 ] || { echo "usage: $0 [--keep] [--dump-file PATH] SOURCE_URL" >&2; exit 2; }
source_url="$1"
base_url="${source_url%/*}"
source_db="${source_url##*/}"
source_db="${source_db%%\?*}"
scratch_db="restore_drill_$(date -u +%Y%m%d%H%M%S)_$$"
scratch_url="${base_url}/${scratch_db}"
work="$(mktemp -d)"
dump="${dump_file:-$work/drill.dump}"

# One row per table of the public schema: "name|rows". Dynamic counts through query_to_xml, so the whole
# list is one statement (and, on the source, runs inside the dump's snapshot).
COUNTS_SQL="SELECT c.relname || '|' || (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', c.relname), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname;"

created=0
cleanup() {
  status=$?
  if [ -n "${PSQL_PID:-}" ]; then kill "$PSQL_PID" 2>/dev/null || true; fi
  if [ "$created" = 1 ] && [ "$keep" = 0 ]; then
    psql "${base_url}/postgres" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"${scratch_db}\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
fail() { echo "restore drill: $*" >&2; exit 2; }

start=$(date +%s)
# Hold a repeatable-read transaction on the source: pg_dump uses its exported snapshot, and the counts are
# taken in it too.
coproc PSQL { psql "$source_url" -X -q -A -t -v ON_ERROR_STOP=1 2>&1; }
echo "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT pg_export_snapshot();" >&"${PSQL[1]}"
read -r -t 30 snapshot <&"${PSQL[0]}" || fail "could not open a snapshot on ${source_db}"
case "$snapshot" in *[!0-9A-Fa-f-]*|"") fail "could not open a snapshot on ${source_db}: ${snapshot}" ;; esac

pg_dump --format=custom --no-owner --no-privileges --snapshot="$snapshot" --file="$dump" "$source_url" \
  || fail "pg_dump of ${source_db} failed"

printf '%s\nSELECT %s;\n' "$COUNTS_SQL" "'__end__'" >&"${PSQL[1]}"
: >"$work/source.counts"
while read -r -t 600 line <&"${PSQL[0]}"; do
  [ "$line" = "__end__" ] && break
  [ -n "$line" ] && echo "$line" >>"$work/source.counts"
done
echo "COMMIT;" >&"${PSQL[1]}"
exec {PSQL[1]}>&-

psql "${base_url}/postgres" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"${scratch_db}\"" >/dev/null \
  || fail "could not create ${scratch_db}"
created=1
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$scratch_url" "$dump" \
  || fail "pg_restore into ${scratch_db} failed"
psql "$scratch_url" -X -q -A -t -v ON_ERROR_STOP=1 -c "$COUNTS_SQL" | sed '/^$/d' >"$work/restored.counts" \
  || fail "counting the restored tables failed"

mismatches=0
tables=0
rows=0
while IFS='|' read -r table expected; do
  actual="$(awk -F'|' -v t="$table" '$1 == t { print $2 }' "$work/restored.counts")"
  tables=$((tables + 1))
  rows=$((rows + expected))
  if [ "$actual" = "$expected" ]; then
    printf '%-48s %12s %12s  ok\n' "$table" "$expected" "$actual"
  else
    printf '%-48s %12s %12s  MISMATCH\n' "$table" "$expected" "${actual:-missing}"
    mismatches=$((mismatches + 1))
  fi
done <"$work/source.counts"
extra="$(cut -d'|' -f1 "$work/restored.counts" | sort | comm -13 <(cut -d'|' -f1 "$work/source.counts" | sort) -)"
if [ -n "$extra" ]; then
  echo "tables only in the restored copy: $extra"
  mismatches=$((mismatches + 1))
fi

size=$(wc -c <"$dump")
echo "restore drill: ${source_db} -> ${scratch_db}: ${tables} tables, ${rows} rows, dump ${size} bytes, $(( $(date +%s) - start ))s, mismatches ${mismatches}"
[ "$keep" = 1 ] && echo "kept: ${scratch_url}"
[ "$mismatches" = 0 ] || exit 1
