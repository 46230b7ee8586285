from django.conf import settings
from django.db import models

from apps.core.models import BaseModel, money_field


class Trade(BaseModel):
    SIDES = [("BUY", "Buy"), ("SELL", "Sell")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trades")
    broker = models.CharField(max_length=16)
    ext_id = models.CharField(max_length=128)
    symbol = models.CharField(max_length=32)
    side = models.CharField(max_length=4, choices=SIDES)
    qty = money_field()
    price = money_field()
    fee = money_field(null=True, blank=True)
    fee_asset = models.CharField(max_length=16, blank=True, default="")
    quote_asset = models.CharField(max_length=16, blank=True, default="")
    ts = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "broker", "ext_id"], name="trades_trade_user_broker_ext_unique")
        ]
        indexes = [
            models.Index(fields=["user", "ts"], name="trades_trade_user_ts_idx"),
            models.Index(fields=["symbol"], name="trades_trade_symbol_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.qty} {self.symbol} @ {self.price}"
