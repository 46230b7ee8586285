"""`python manage.py relay_outbox` — the long-lived relay process (see apps/events/relay.py)."""
from __future__ import annotations

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.core.observability.metrics import metrics_http_serve
from apps.events.relay import OutboxRelay


class Command(BaseCommand):
    help = "Publish committed outbox events to the open sockets until SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--poll-interval", type=float, default=1.0,
                            help="Seconds between checks when no NOTIFY arrives (a safety net).")

    def handle(self, *args, batch_size: int, poll_interval: float, **options):
        if settings.METRICS_PORT:
            metrics_http_serve(port=settings.METRICS_PORT)
        asyncio.run(self._run(batch_size=batch_size, poll_interval=poll_interval))
        self.stdout.write("relay stopped")

    async def _run(self, *, batch_size: int, poll_interval: float) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        relay = OutboxRelay(batch_size=batch_size, poll_interval=poll_interval)
        self.stdout.write("relay started", ending="\n")
        self.stdout.flush()
        await relay.run(stop)
