"""manage.py coinbase_prices_refresh: Coinbase trades stored at the spot price get the price paid, once."""
from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.trades.models import Trade
from apps.trades.parsers import parse_file
from apps.trades.services import trade_raw_attach, trade_upsert_many

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

EXPORT = Path(__file__).parent / "parsers" / "fixtures" / "coinbase_transactions_spread.csv"


def _stored_at_spot_price(user, *, keep_raw: bool) -> dict[str, Decimal]:
    """The export's trades as they were stored before the price change (at the spot price); returns the price
    paid per ext_id, as an upload computes it now."""
    parsed = parse_file(EXPORT.read_bytes())
    paid = {t.ext_id: t.price for t in parsed.trades if parsed.raw.get(t.ext_id, {}).get("priceSource") == "subtotal"}
    old = [t._replace(price=Decimal(parsed.raw[t.ext_id]["spotPrice"])) if t.ext_id in paid else t
           for t in parsed.trades]
    result = trade_upsert_many(user=user, broker="coinbase", items=old)
    if keep_raw:
        trade_raw_attach(user=user, broker="coinbase", trade_ids=result.inserted_ids, raw=parsed.raw)
    return paid


def _prices(user) -> dict[str, Decimal]:
    return dict(Trade.objects.filter(user=user).values_list("ext_id", "price"))


def _run(*args) -> str:
    out = StringIO()
    call_command("coinbase_prices_refresh", *args, stdout=out)
    return out.getvalue()


def test_trades_with_raw_data_get_the_price_paid_and_a_second_run_changes_nothing(user):
    paid = _stored_at_spot_price(user, keep_raw=True)
    assert paid and all(_prices(user)[ext_id] != price for ext_id, price in paid.items())
    others = {ext_id: price for ext_id, price in _prices(user).items() if ext_id not in paid}

    first = _run("--user", user.email)
    after = _prices(user)
    second = _run("--user", user.email)

    assert {ext_id: after[ext_id] for ext_id in paid} == paid
    assert {ext_id: after[ext_id] for ext_id in others} == others
    assert f"Set {len(paid)} Coinbase trade(s)" in first and "rescore" in first
    assert "Set 0 Coinbase trade(s)" in second and f"{len(paid)} already" in second
    assert _prices(user) == after


def test_trades_stored_before_raw_data_was_kept_take_it_from_their_export(user):
    paid = _stored_at_spot_price(user, keep_raw=False)
    before = _prices(user)

    without = _run("--user", user.email)
    assert _prices(user) == before
    assert "Set 0 Coinbase trade(s)" in without and "have no raw data" in without

    with_export = _run("--user", user.email, "--export", str(EXPORT))
    assert {ext_id: _prices(user)[ext_id] for ext_id in paid} == paid
    assert f"Kept the export's raw data on {len(before)} trade(s)" in with_export
    assert "Kept the export's raw data on 0 trade(s)" in _run("--user", user.email, "--export", str(EXPORT))


def test_dry_run_changes_nothing(user):
    _stored_at_spot_price(user, keep_raw=True)
    before = _prices(user)

    out = _run("--user", user.email, "--dry-run")

    assert "Would set" in out and _prices(user) == before


def test_an_export_that_is_not_a_coinbase_history_is_refused_and_nothing_is_written(user, tmp_path):
    _stored_at_spot_price(user, keep_raw=False)
    before = _prices(user)
    other = tmp_path / "spot.csv"
    other.write_text("Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n"
                     "2021-03-04 10:00:00,DOGEEUR,BUY,0.31031,500DOGE,155.155EUR,0.5DOGE\n")

    with pytest.raises(CommandError, match="not a Coinbase transaction history"):
        _run("--user", user.email, "--export", str(other))
    with pytest.raises(CommandError, match="needs --user"):
        _run("--export", str(EXPORT))

    assert _prices(user) == before
    assert not Trade.objects.filter(user=user, raw__isnull=False).exists()
