"""Re-wrap every user's data key under the newest key-encryption key (last entry of TOKEN_KEKS)."""
from django.core.management.base import BaseCommand, CommandError

from apps.brokers.sealing import SealError, newest_kek
from apps.brokers.services import data_keys_rotate


class Command(BaseCommand):
    help = "Re-wrap data keys under the newest TOKEN_KEKS entry. Sealed tokens are not rewritten. Idempotent."

    def handle(self, *args, **options):
        try:
            kek = newest_kek()
            rotated = data_keys_rotate()
        except SealError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Re-wrapped {rotated} data key(s) under key {kek.key_id!r}.")
