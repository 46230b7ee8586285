"""Run the stub exchange (Coinbase + Binance wire formats) in the foreground."""
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.brokers.stub import READ_ONLY_KEY, READ_ONLY_SECRET, StubExchange, StubState


class Command(BaseCommand):
    help = "Serve the stub exchange on a loopback port (Ctrl-C to stop)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--trades", type=int, default=300, help="fills per exchange in the window")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every response")

    def handle(self, *args, **options):
        state = StubState(seed=options["seed"], trade_count=options["trades"], latency=options["latency"],
                          client_id=settings.COINBASE_CLIENT_ID, client_secret=settings.COINBASE_CLIENT_SECRET)
        stub = StubExchange(host=options["host"], port=options["port"], state=state).start()
        self.stdout.write(f"Stub exchange on {stub.url}")
        for name, value in stub.settings_overrides().items():
            if "SECRET" not in name:
                self.stdout.write(f"  {name}={value}")
        self.stdout.write(f"  Binance read-only key: {READ_ONLY_KEY} / {READ_ONLY_SECRET}")
        self.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            stub.stop()
