"""Normalisation never crashes with anything but its own error, and never yields a non-finite amount."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.brokers.adapters.base import TradeDTO
from apps.brokers.adapters.binance import trade_to_dto
from apps.brokers.adapters.coinbase import fill_to_dto, parse_timestamp
from apps.brokers.adapters.errors import BrokerError
from apps.brokers.symbols import SymbolError, split_pair

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-0", "0", "1", "12.5",
                                           "2023-11-26T10:19:47.504Z", "BUY", "SELL", "BTC-USD", "BTCUSDT", 10**20, -1]),
)


def _check(result: TradeDTO) -> None:
    for value in (result.qty, result.price):
        assert isinstance(value, Decimal) and value.is_finite() and value > 0
    assert result.fee is None or (result.fee.is_finite() and result.fee >= 0)
    assert result.side in ("BUY", "SELL")
    assert result.ts.tzinfo is not None


COINBASE_FILL = {"entry_id": "e1", "trade_id": "t1", "product_id": "BTC-USD", "price": "50000", "size": "0.1",
                 "commission": "3.5", "side": "BUY", "trade_type": "FILL", "trade_time": "2023-11-26T10:19:47.504Z",
                 "size_in_quote": False}
BINANCE_TRADE = {"symbol": "BNBBTC", "id": 28457, "price": "4.00000100", "qty": "12.00000000",
                 "commission": "10.10000000", "commissionAsset": "BNB", "time": 1499865549590, "isBuyer": True}


def mutated(valid: dict):
    """A valid record with some fields replaced by arbitrary values or removed."""
    return st.dictionaries(st.sampled_from(sorted(valid)), st.one_of(scalars, st.just(KeyError)), max_size=4).map(
        lambda changes: {k: changes.get(k, v) for k, v in valid.items() if changes.get(k) is not KeyError})


def test_quote_size_too_small_for_the_price_is_refused_not_stored_as_zero():
    raw = {**COINBASE_FILL, "size_in_quote": True, "price": 2e17}
    with pytest.raises(BrokerError) as caught:
        fill_to_dto(raw)
    assert "zero size" in str(caught.value.__cause__)


@settings(max_examples=600, deadline=None)
@given(mutated(COINBASE_FILL))
def test_coinbase_fill_any_input(raw):
    try:
        _check(fill_to_dto(raw))
    except BrokerError:
        pass


@settings(max_examples=600, deadline=None)
@given(mutated(BINANCE_TRADE))
def test_binance_trade_any_input(raw):
    try:
        _check(trade_to_dto(raw))
    except BrokerError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_split_pair_any_text(text):
    try:
        base, quote = split_pair(text)
    except SymbolError:
        return
    assert base and quote


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_timestamp_any_text(text):
    try:
        moment = parse_timestamp(text)
    except ValueError:
        return
    assert moment.tzinfo is not None
