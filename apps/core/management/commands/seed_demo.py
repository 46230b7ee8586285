"""Create the demo account (idempotent) so a newcomer lands on real-looking data."""
from django.core.management.base import BaseCommand

from apps.accounts.models import User

DEMO_EMAIL = "demo@twin.local"
DEMO_PASSWORD = "demo-trader-2026"


class Command(BaseCommand):
    help = "Create the demo user (and its demo data where available). Safe to run again."

    def handle(self, *args, **options):
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD)
        self.stdout.write(self.style.SUCCESS(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}"))
