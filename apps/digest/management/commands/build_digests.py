"""Build or rebuild weekly digests by hand: `build_digests [--week 2026-W47] [--user EMAIL]`."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ValidationFailed
from apps.digest.services import digests_build_now


class Command(BaseCommand):
    help = ("Build (or rebuild: the payload is replaced and digest.ready pushed again) the weekly digest of the "
            "given ISO week, or of each user's last finished week, for one user or every active user.")

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week on each user's clock, e.g. 2026-W47 (default: the last finished)")
        parser.add_argument("--user", help="only this user (email)")

    def handle(self, *args, week=None, user=None, **options):
        users = get_user_model().objects.filter(is_active=True).order_by("email")
        if user:
            users = users.filter(email__iexact=user.strip())
            if not users.exists():
                raise CommandError(f"No active user with email {user}.")
        try:
            digests = digests_build_now(users=list(users), week_label=week)
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        for digest in digests:
            self.stdout.write(f"{digest.week} {digest.user_id} {digest.status}"
                              + (f" ({digest.error})" if digest.error else ""))
        self.stdout.write(self.style.SUCCESS(f"{len(digests)} digest(s) built."))
