#!/bin/sh
# The `backup` service of docker/compose.yml (profile `backup`): one backup a night at $BACKUP_AT (UTC,
# HH:MM, default 02:30). A failed night is logged and tried again the next night; alert on the age of the
# newest file in the backups volume (see docs/operations.md).
set -u
at="${BACKUP_AT:-02:30}"
while true; do
  now=$(date -u +%s)
  next=$(date -u -d "$(date -u +%Y-%m-%d) ${at}" +%s 2>/dev/null || date -u -D "%Y-%m-%d %H:%M" -d "$(date -u +%Y-%m-%d) ${at}" +%s)
  [ "$next" -le "$now" ] && next=$((next + 86400))
  sleep $((next - now))
  sh /opt/backup/backup-once.sh || echo "backup: FAILED at $(date -u +%Y-%m-%dT%H:%M:%SZ)" >&2
done
