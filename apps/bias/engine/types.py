"""Value types of the scoring engine: plain dataclasses, no ORM."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

ZERO = Decimal(0)
ENGINE_VERSION = "1.1.0"
LABELS = ("FOMO", "PANIC", "DISCIPLINE", "REVENGE", "OVERTRADING", "OVERCONFIDENCE", "NONE")
SIDES = ("BUY", "SELL")
RULE_KINDS = ("avoidSpikeOverPct", "minHoldHours", "maxTradesPerDay", "cooldownAfterLosses")


@dataclass(frozen=True, slots=True)  # slots: a 100,000-trade history is held in memory at once
class TradeInput:
    id: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    fee: Decimal | None
    ts: datetime
    fee_asset: str = ""  # the asset the fee was paid in; "" = the quote currency

    @property
    def fee_in_quote(self) -> Decimal:
        """The fee in the market's quote currency: a quote (or unnamed) fee as it is, a base-asset fee (BTC
        on BTC-USD) valued at the trade's price, a fee in a third asset (e.g. BNB) left out (0): it cannot
        be valued from the trade alone, and it is not the market's money."""
        if self.fee is None:
            return ZERO
        asset = self.fee_asset.upper() if self.fee_asset else ""
        if not asset:
            return self.fee
        base, _, quote = self.symbol.upper().rpartition("-")
        if asset == quote or not base:
            return self.fee
        if asset == base:
            return self.fee * self.price
        return ZERO


@dataclass(frozen=True)
class RuleInput:
    kind: str
    params: dict


@dataclass(slots=True)  # slots: one or more per trade, held at once by ``score_trades``
class TagResult:
    trade_id: str
    label: str
    confidence: float
    features: dict


@dataclass(slots=True)
class PositionInfo:
    """What FIFO matching knows about one trade.

    For a SELL: ``realized_pnl`` is proceeds − cost basis − both sides' fees (quote currency) over the
    matched quantity, ``None`` when no prior buy covers any of it (unknown, never zero); ``held_hours`` is
    the quantity-weighted mean holding time of the matched lots. For a BUY only ``matched_qty`` /
    ``unmatched_qty`` are meaningful (``unmatched_qty`` = the part still open after all later trades).
    """

    trade_id: str
    realized_pnl: Decimal | None
    held_hours: float | None
    matched_qty: Decimal
    unmatched_qty: Decimal
    symbol: str = ""
    side: str = ""
    min_held_hours: float | None = None
    cost_basis: Decimal | None = None
    proceeds: Decimal | None = None

    @property
    def pnl_pct(self) -> float | None:
        """Realised P/L as a fraction of the matched cost basis (None when unknown)."""
        if self.realized_pnl is None or not self.cost_basis:
            return None
        return float(self.realized_pnl / self.cost_basis)


@dataclass
class ScoreResult:
    tags: list[TagResult]
    positions: dict[str, PositionInfo]
    disposition: dict = field(default_factory=dict)


@dataclass
class Reflection:
    text: str
    tone: str
    bias: str
    source: str = "template"  # or "llm": the configured model's text, which passed the linter
    fallback: dict | None = None  # why a configured model's text was not used: {"reason", "violations"?}

    def as_dict(self) -> dict:
        return {"text": self.text, "tone": self.tone, "bias": self.bias}
