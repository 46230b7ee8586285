"""Re-score existing trades with the current engine version (idempotent, with a progress bar per user).

Each user's history is walked once, whatever its length (labels depend on everything before a trade, so
re-scoring in slices would walk the history once per slice); `--batch` is how many trades' tags,
reflections and events are written together.

With `--calibrated`, each user with at least 30 scored trades is first calibrated from those trades (the
personal lines, see docs/bias-engine.md) and then re-scored with them; other users keep the defaults."""
from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.bias.engine import ENGINE_VERSION
from apps.bias.selectors import trade_counts_for_rescore
from apps.bias.services.rules import rule_calibration_compute
from apps.bias.services.scoring import bias_rescore_user


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError("--since must be an ISO-8601 date or time, e.g. 2025-01-31.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Re-score trades with the current bias engine version. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this user's trades (email)")
        parser.add_argument("--since", help="only trades at or after this date/time (UTC)")
        parser.add_argument("--batch", type=int, default=2000, help="trades written per chunk (default 2000)")
        parser.add_argument("--calibrated", action="store_true",
                            help="calibrate each user's lines from their scored trades first, then re-score with them")

    def handle(self, *args, user=None, since=None, batch=2000, calibrated=False, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        user_id = None
        if user:
            found = get_user_model().objects.filter(email__iexact=user.strip()).first()
            if found is None:
                raise CommandError(f"No user with email {user}.")
            user_id = found.id
        since = _since(since)
        work = trade_counts_for_rescore(user_id=user_id, since=since)  # user id → how many trades
        if calibrated:
            self._calibrate(work)
        total = sum(work.values())
        scored = 0
        with tqdm(total=total, unit="trade", desc=f"rescore v{ENGINE_VERSION}", file=self.stderr._out,
                  disable=total == 0) as bar:
            for uid, count in work.items():
                scored += bias_rescore_user(user_id=uid, since=since, chunk=batch)
                bar.update(count)
        self.stdout.write(f"Re-scored {scored} trade(s) of {len(work)} user(s) with engine {ENGINE_VERSION}.")

    def _calibrate(self, work: dict) -> None:
        users = get_user_model().objects.in_bulk(list(work))
        for uid in work:
            rule = rule_calibration_compute(user=users[uid])
            if rule is None:
                self.stdout.write(f"{users[uid].email}: fewer than 30 scored trades, the default lines stay.")
                continue
            moved = ", ".join(f"{name} {entry['default']:g} → {entry['value']:g}"
                              for name, entry in rule.params["thresholds"].items() if entry["value"] != entry["default"])
            self.stdout.write(f"{users[uid].email}: calibrated from {rule.params['scored_trades']} trades"
                              + (f" ({moved})." if moved else ", every line stays at its default."))
