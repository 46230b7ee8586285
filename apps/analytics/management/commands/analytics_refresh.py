"""Bring the analytics read model in step for one user or every user (idempotent).

Scoring runs do this on their own; run it after `backfill_candles` (with `--full`, so MAE/MFE and the exit
rates are computed again from the new candles) or after re-scoring outside a scoring run."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.analytics.services.readmodel import trade_facts_refresh


class Command(BaseCommand):
    help = "Refresh the analytics read model (rows whose inputs changed; every row with --full)."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this user (email)")
        parser.add_argument("--full", action="store_true", help="rewrite every row, e.g. after new candles")

    def handle(self, *args, user=None, full=False, **options):
        users = get_user_model().objects.filter(is_active=True).order_by("pk")
        if user:
            users = users.filter(email__iexact=user.strip())
            if not users.exists():
                raise CommandError(f"No user with email {user}.")
        written = trades = 0
        for user_id in users.values_list("pk", flat=True):
            result = trade_facts_refresh(user_id=user_id, full=full)
            written, trades = written + result.written, trades + result.trades
        self.stdout.write(f"Read model: {written} of {trades} trade row(s) written.")
