"""Archive digests older than six months to the default storage and delete them (idempotent)."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.digest.archive import RETENTION_MONTHS, digests_archive


class Command(BaseCommand):
    help = (f"Write every digest whose week ended more than {RETENTION_MONTHS} months ago to "
            "digests/<user>/<week>.json in the default storage, then delete it. Safe to run again.")

    def handle(self, *args, **options):
        result = digests_archive()
        self.stdout.write(self.style.SUCCESS(f"{result['archived']} digest(s) archived (weeks ending before "
                                             f"{result['cutoff']})."))
