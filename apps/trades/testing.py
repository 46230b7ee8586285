"""Trade fixtures and factories (collected through the root conftest)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory
import pytest

from apps.accounts.testing import UserFactory
from apps.brokers.types import TradeDTO

from .models import Trade

BASE_TS = datetime(2026, 10, 1, tzinfo=UTC)


class TradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trade

    user = factory.SubFactory(UserFactory)
    broker = "coinbase"
    ext_id = factory.Sequence(lambda n: f"fill-{n}")
    symbol = "BTC-USD"
    side = "BUY"
    qty = Decimal("0.5")
    price = Decimal("30000.12")
    fee = Decimal("1.25")
    fee_asset = "USD"
    quote_asset = "USD"
    ts = factory.Sequence(lambda n: BASE_TS + timedelta(minutes=n))


def trade_dtos(count: int, *, start: int = 0, prefix: str = "fill", symbol: str = "BTC-USD") -> list[TradeDTO]:
    """`count` distinct fills with exact Decimal values, one a minute from BASE_TS."""
    base, quote = symbol.split("-")
    return [
        TradeDTO(
            ext_id=f"{prefix}-{n}", symbol=symbol, side="BUY" if n % 2 == 0 else "SELL",
            qty=Decimal("0.000000000000000001") * (n + 1) + Decimal("0.1"),
            price=Decimal("64123.123456789012345678") + n, ts=BASE_TS + timedelta(minutes=n),
            fee=Decimal("0.000123") if n % 3 else None, fee_asset=quote if n % 3 else "", quote_asset=quote,
        )
        for n in range(start, start + count)
    ]


@pytest.fixture
def scoring_handoff(monkeypatch) -> list[str]:
    """Record the scoring runs an import hands off (their ids) instead of running them (eager Celery).

    Scoring has its own tests; here it would fetch candles for every uploaded symbol. The hand-off itself
    (the run row written with the import's final state) still happens."""
    from apps.core.jobs import job_task

    sent: list[str] = []
    monkeypatch.setattr(job_task("bias.scoring_run"), "apply_async",
                        lambda kwargs=None, **options: sent.append(kwargs["job_id"]))
    return sent


def fills_csv(*, file_no: int, count: int, end: datetime) -> bytes:
    """A Coinbase Pro fills export of `count` BTC-USD / ETH-USD fills in the ten days before `end`; each
    `file_no` has its own trade ids, so files never overlap."""
    lines = ["portfolio,trade id,product,side,created at,size,size unit,price,fee,total,price/fee/total unit"]
    for n in range(count):
        product, price = ("BTC-USD", Decimal("30000")) if n % 2 == 0 else ("ETH-USD", Decimal("2000"))
        side = "BUY" if (n // 2) % 3 != 2 else "SELL"
        ts = end - timedelta(days=10) + timedelta(minutes=97 * n + 13 * file_no)
        size = Decimal("0.01") * (1 + n % 4)
        total = (size * price).quantize(Decimal("0.01"))
        lines.append(f"default,{file_no * 10_000 + n},{product},{side},{ts.strftime('%Y-%m-%dT%H:%M:%S.000Z')},"
                     f"{size},{product.split('-')[0]},{price},0.5,{-total if side == 'BUY' else total},USD")
    return ("\n".join(lines) + "\n").encode()
