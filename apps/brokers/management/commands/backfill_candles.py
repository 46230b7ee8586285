"""Fetch and store candles for a symbol from a date until now. Idempotent."""
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.brokers.adapters.errors import BrokerError
from apps.brokers.services import candles_ensure
from apps.brokers.services.marketdata import symbol_canonical
from apps.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Backfill OHLCV candles: --symbol BTC-USD --since 2026-10-01 [--until ...] [--granularity 1h]"

    def add_arguments(self, parser):
        parser.add_argument("--symbol", required=True, action="append", help="repeatable")
        parser.add_argument("--since", required=True, help="YYYY-MM-DD or ISO datetime (UTC)")
        parser.add_argument("--until", default="", help="default: now")
        parser.add_argument("--granularity", default="1h", choices=["1h", "6h", "1d"])

    def handle(self, *args, **options):
        since = _parse(options["since"])
        until = _parse(options["until"]) if options["until"] else timezone.now()
        for symbol in options["symbol"]:
            if symbol_canonical(symbol) is None:
                raise CommandError(f"{symbol!r} is not a BASE-QUOTE pair (e.g. BTC-USD).")
            try:
                added = candles_ensure(symbol=symbol, granularity=options["granularity"], start=since, end=until)
            except (ValidationFailed, BrokerError) as exc:
                raise CommandError(f"{symbol}: {exc.message}") from exc
            self.stdout.write(f"{symbol} {options['granularity']}: {added} new candle(s)")


def _parse(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(f"Not a date: {value!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
