"""FIFO lots: fees netted, partial fills, unknown P/L kept unknown."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.bias.engine import TradeInput, match_positions

from .markets import HOUR, START, Book


def test_fifo_across_partial_fills_with_fees():
    book = Book()
    book.add("b1", "BTC-USD", "BUY", "1", "100", START, fee="1")
    book.add("b2", "BTC-USD", "BUY", "2", "110", START + 2 * HOUR, fee="2")
    book.add("s1", "BTC-USD", "SELL", "1.5", "120", START + 10 * HOUR, fee="1.5")
    book.add("s2", "BTC-USD", "SELL", "1.5", "90", START + 20 * HOUR, fee="3")
    positions = match_positions(book.trades)

    s1 = positions["s1"]
    # 1 @100 (fee 1) + 0.5 @110 (fee 0.5 of 2) → cost 155 + 1.5 fees; proceeds 180 − 1.5
    assert s1.realized_pnl == Decimal("180") - Decimal("155") - Decimal("1.5") - Decimal("1.5")
    assert s1.matched_qty == Decimal("1.5") and s1.unmatched_qty == 0
    assert s1.held_hours == pytest.approx((1 * 10 + 0.5 * 8) / 1.5)
    assert s1.min_held_hours == pytest.approx(8)
    s2 = positions["s2"]
    # the remaining 1.5 @110 (fee 1.5) sold @90 with fee 3
    assert s2.realized_pnl == Decimal("135") - Decimal("165") - Decimal("1.5") - Decimal("3")
    assert s2.held_hours == pytest.approx(18)
    assert s2.pnl_pct == pytest.approx(float((Decimal("135") - Decimal("165") - Decimal("4.5")) / Decimal("166.5")))
    assert positions["b1"].matched_qty == 1 and positions["b1"].unmatched_qty == 0
    assert positions["b2"].matched_qty == 2 and positions["b2"].unmatched_qty == 0


def test_sell_without_a_prior_buy_has_unknown_pnl_not_zero():
    book = Book()
    book.add("s0", "ETH-USD", "SELL", "2", "50", START)
    book.add("b1", "ETH-USD", "BUY", "1", "40", START + HOUR)
    positions = match_positions(book.trades)
    assert positions["s0"].realized_pnl is None
    assert positions["s0"].held_hours is None
    assert positions["s0"].unmatched_qty == 2 and positions["s0"].matched_qty == 0
    assert positions["s0"].pnl_pct is None
    assert positions["b1"].unmatched_qty == 1  # a later buy is not matched backwards


def test_partly_covered_sell_reports_the_covered_part_only():
    book = Book()
    book.add("b1", "ETH-USD", "BUY", "1", "40", START)
    book.add("s1", "ETH-USD", "SELL", "3", "50", START + HOUR, fee="3")
    info = match_positions(book.trades)["s1"]
    assert info.matched_qty == 1 and info.unmatched_qty == 2
    assert info.realized_pnl == Decimal("50") - Decimal("40") - Decimal("1")


def test_symbols_are_matched_separately_and_input_order_does_not_matter():
    book = Book()
    book.add("s-eth", "ETH-USD", "SELL", "1", "30", START + 3 * HOUR)
    book.add("b-btc", "BTC-USD", "BUY", "1", "100", START)
    book.add("s-btc", "BTC-USD", "SELL", "1", "105", START + 2 * HOUR)
    book.add("b-eth", "ETH-USD", "BUY", "1", "20", START + HOUR)
    forward = match_positions(book.trades)
    backward = match_positions(list(reversed(book.trades)))
    assert forward == backward
    assert forward["s-btc"].realized_pnl == Decimal("5")
    assert forward["s-eth"].realized_pnl == Decimal("10")
    assert forward["s-eth"].held_hours == pytest.approx(2)


def test_buy_and_sell_at_the_same_instant_match():
    book = Book()
    book.add("s", "BTC-USD", "SELL", "1", "101", START)
    book.add("b", "BTC-USD", "BUY", "1", "100", START)
    assert match_positions(book.trades)["s"].realized_pnl == Decimal("1")


def test_lower_case_sides_are_understood():
    book = Book()
    book.add("b", "BTC-USD", "buy", "1", "100", START)
    book.add("s", "BTC-USD", "sell", "1", "90", START + HOUR)
    positions = match_positions(book.trades)
    assert positions["s"].realized_pnl == Decimal("-10")
    assert positions["b"].side == "BUY"


def test_a_fee_paid_in_the_base_asset_is_valued_at_its_trade_price():
    """Binance takes the fee of a buy in the asset bought: 0.001 BTC at 20,000 is 20 USD, not 0.001 USD.
    A sell's fee in the quote stays as it is; a fee in a third asset (BNB) has no price here and is left out."""
    trades = [
        TradeInput(id="b1", symbol="BTC-USD", side="BUY", qty=Decimal("1"), price=Decimal("20000"),
                   fee=Decimal("0.001"), fee_asset="BTC", ts=START),
        TradeInput(id="s1", symbol="BTC-USD", side="SELL", qty=Decimal("0.5"), price=Decimal("22000"),
                   fee=Decimal("0.0005"), fee_asset="btc", ts=START + HOUR),
        TradeInput(id="s2", symbol="BTC-USD", side="SELL", qty=Decimal("0.5"), price=Decimal("21000"),
                   fee=Decimal("11"), fee_asset="USD", ts=START + 2 * HOUR),
        TradeInput(id="b2", symbol="ETH-USDT", side="BUY", qty=Decimal("2"), price=Decimal("1000"),
                   fee=Decimal("0.03"), fee_asset="BNB", ts=START),
        TradeInput(id="s3", symbol="ETH-USDT", side="SELL", qty=Decimal("2"), price=Decimal("1100"),
                   fee=Decimal("2.2"), fee_asset="USDT", ts=START + HOUR),
    ]
    positions = match_positions(trades)
    # s1: 0.5 × (22,000 − 20,000) = 1,000; buy fee 0.001 BTC × 20,000 = 20 USD, half of it matched → 10;
    # sell fee 0.0005 BTC × 22,000 = 11 USD → 1,000 − 10 − 11 = 979
    assert positions["s1"].realized_pnl == Decimal("979")
    assert positions["s1"].cost_basis == Decimal("10010")
    # s2: 0.5 × (21,000 − 20,000) = 500; the other 10 USD of the buy fee; 11 USD sell fee → 479
    assert positions["s2"].realized_pnl == Decimal("479")
    # s3: 2 × 100 = 200; the BNB fee is not counted; 2.2 USDT sell fee → 197.8
    assert positions["s3"].realized_pnl == Decimal("197.8")
