"""Create the demo account with 30 days of trades (idempotent) so a newcomer lands on real-looking data.

The trades come through the real path: a Coinbase connection linked through the OAuth flow against the
embedded stub exchange, then an import job run page by page, then the work it hands off (labelling) run
here too, so the demo is labelled before the server starts. The window is whole UTC days (the 30 days
before today), so a second run on the same day is the same, already finished job and adds nothing; a run
on a later day adds only that day's new fills.
"""
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.accounts.services import user_get_or_create
from apps.brokers.services import connection_link_stub
from apps.core.jobs import JobStatus, jobs_run_pending

from ...imports import import_job_run, import_job_start
from ...selectors import broker_connection_active_for

DEMO_EMAIL = "demo@twin.local"
DEMO_PASSWORD = "demo-trader-2026"
DEMO_BROKER = "coinbase"
DEMO_DAYS = 30


class Command(BaseCommand):
    help = "Create the demo user and import its demo trades from the embedded stub exchange. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--trades", action="store_true",
                            help="Import demo trades from the configured exchange endpoints even without the "
                                 "embedded stub (e.g. a stub exchange started with manage.py stub_exchange).")

    def handle(self, *args, **options):
        user = user_get_or_create(email=DEMO_EMAIL, password=DEMO_PASSWORD)
        if options["trades"] or settings.STUB_EXCHANGE_EMBEDDED:
            try:
                self._demo_trades(user)
            except Exception as exc:  # demo data is a convenience: never stop the app from starting
                self.stderr.write(self.style.WARNING(f"Demo trades were not imported: {exc}"))
        else:
            self.stdout.write("No embedded stub exchange (STUB_EXCHANGE_EMBEDDED is off): demo trades skipped.")
        self.stdout.write(self.style.SUCCESS(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}"))

    def _demo_trades(self, user) -> None:
        if broker_connection_active_for(user=user, broker=DEMO_BROKER) is None:
            connection_link_stub(user=user, broker=DEMO_BROKER)
        until = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        job = import_job_start(user=user, broker=DEMO_BROKER, since=until - timedelta(days=DEMO_DAYS), until=until,
                               enqueue=False)
        if job.status != JobStatus.DONE:
            job = import_job_run(job_id=job.id)
        jobs_run_pending(user_id=user.pk)
        self.stdout.write(f"Demo trades: {job.status}, {job.inserted} imported in all "
                          f"({job.fetched} fetched, {job.duplicates} already stored).")
