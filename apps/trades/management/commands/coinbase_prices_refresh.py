"""Set Coinbase trades stored at the spot price to the price paid (Subtotal ÷ Quantity), from their raw data.

    manage.py coinbase_prices_refresh [--user EMAIL] [--export FILE] [--dry-run]

Safe to run again: a trade already at its paid price is left alone. Trades stored before raw data was kept have
none; give their Coinbase transaction history with --export (and --user) and it is kept on them first. Labels
were computed with the old prices: run `manage.py rescore` afterwards.
"""
from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ...parsers import ParseError
from ...services.coinbase_prices import coinbase_prices_refresh, raw_from_export


class Command(BaseCommand):
    help = "Set Coinbase trades stored at the spot price to the price paid, from their raw data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this user's trades (email)")
        parser.add_argument("--export", help="a Coinbase transaction history CSV whose raw data to keep on the "
                                             "user's trades that have none (needs --user)")
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, user=None, export=None, dry_run=False, **options):
        user_id = None
        if user:
            found = get_user_model().objects.filter(email__iexact=user.strip()).first()
            if found is None:
                raise CommandError(f"No user with email {user}.")
            user_id = found.id
        if export:
            if user_id is None:
                raise CommandError("--export needs --user: the file's trades belong to one user.")
            path = Path(export)
            if not path.is_file():
                raise CommandError(f"No file {export}.")
            if dry_run:
                self.stdout.write("Dry run: the export's raw data is not kept.")
            else:
                try:
                    added = raw_from_export(user_id=user_id, data=path.read_bytes())
                except ParseError as exc:
                    raise CommandError(exc.message) from exc
                self.stdout.write(f"Kept the export's raw data on {added} trade(s) that had none.")
        report = coinbase_prices_refresh(user_id=user_id, dry_run=dry_run)
        verb = "Would set" if dry_run else "Set"
        self.stdout.write(f"{verb} {report.refreshed} Coinbase trade(s) to the price paid; {report.already} already "
                          f"were; {report.without_raw} have no raw data (imported from the API, or uploaded before "
                          f"raw data was kept: give their export with --export).")
        if report.unreadable:
            self.stdout.write(f"{len(report.unreadable)} trade(s) have raw data that gives no price, e.g. "
                              f"{', '.join(report.unreadable[:3])}.")
        if report.refreshed and not dry_run:
            self.stdout.write("Labels were computed with the old prices: run manage.py rescore"
                              + (f" --user {user}" if user else "") + ".")
