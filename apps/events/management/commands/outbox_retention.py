"""`python manage.py outbox_retention` — run the outbox retention job by hand."""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from apps.events.services import outbox_retention_run


class Command(BaseCommand):
    help = "Create the current and next month outbox partitions and drop those older than 90 days."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(outbox_retention_run()))
