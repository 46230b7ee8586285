"""Quiet trades (NONE) do not all read the same: each reflection names the nearest miss with its numbers, or,
when nothing came close, the trade's own figures — and every text still passes the non-advisory linter."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from apps.bias.engine.reflections import NOTHING_CLOSE, template_reflection
from apps.bias.models import Reflection
from apps.bias.selectors import coach_text_violations
from apps.bias.services import bias_score_trades
from apps.trades.testing import TradeFactory

from .conftest import bar_close


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize("tone", ["supportive", "strict"])
def test_twenty_quiet_trades_read_differently_and_pass_the_linter(stub_exchange, user, tone):
    user.coach_tone = tone
    user.save(update_fields=["coach_tone"])
    anchor = stub_exchange.state.anchor
    trades = []
    for i in range(40):  # small alternating buys and sells on two markets, 7 hours apart
        symbol = ("BTC-USD", "ETH-USD")[(i // 2) % 2]
        ts = anchor - timedelta(days=13) + timedelta(hours=7 * i, minutes=11)
        trades.append(TradeFactory(user=user, symbol=symbol, side="BUY" if i % 2 == 0 else "SELL",
                                   qty=Decimal("0.01"), price=bar_close(stub_exchange, symbol, ts), fee=Decimal("0.1"),
                                   ts=ts))

    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])

    texts = list(Reflection.objects.filter(user=user, bias="NONE").values_list("text", flat=True))
    assert len(texts) >= 20, f"only {len(texts)} quiet trades"
    assert len(set(texts)) >= 0.9 * len(texts), "quiet trades read alike:\n" + "\n".join(sorted(texts))
    quiet = [t for t in texts if t.startswith(NOTHING_CLOSE)]
    assert all(f"{NOTHING_CLOSE} (an " in t for t in quiet)  # the trade's own numbers follow
    assert {text: coach_text_violations(text=text) for text in texts if coach_text_violations(text=text)} == {}


@pytest.mark.parametrize("tone", ["supportive", "strict"])
def test_quiet_trades_with_nothing_close_differ_by_their_own_numbers(tone):
    features = [{"near_misses": [], "history": {"occurrence": 0},
                 "inputs": {"side": side, "pct_change_24h_before": 0.001 * k, "RSI_14": 40 + k,
                            "pnl_exit_pct": -0.002 * k, "held_hours": 3.0 + k, "trades_today": 1 + k % 3}}
                for k in range(10) for side in ("BUY", "SELL")]
    texts = [template_reflection(label="NONE", features=f, tone=tone).text for f in features]
    assert len(set(texts)) == 20
    assert texts[2].startswith(f"{NOTHING_CLOSE} (an entry after a +0.1% move in 24 hours, with RSI(14) at 41.0, "
                               "trade number 2 of the day)")
    assert texts[3].startswith(f"{NOTHING_CLOSE} (an exit at -0.2%, after 4.0 hours held, trade number 2 of the day)")
    assert [t for t in texts if coach_text_violations(text=t)] == []
