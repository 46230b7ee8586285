"""The journal page: the owner's timeline with opened text, emotion chips, adherence, filters, search, streaks."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.bias.models import Rule
from apps.journal.services import adherence_drafts_update, entry_create
from apps.trades.testing import TradeFactory

from .conftest import make_intent

pytestmark = pytest.mark.django_db


def test_the_timeline_shows_only_my_entries_with_their_facts(client, user, other_user):
    entry_create(user=user, data={"type": "note", "content": {"text": "Felt the FOMO creeping in", "tags": ["fomo"]},
                                  "emotions": {"greedy": 4}})
    entry_create(user=other_user, data={"type": "note", "content": {"text": "someone else's secret"}})
    buy = TradeFactory(user=user, side="BUY", price=Decimal("100"), ts=datetime(2026, 11, 2, tzinfo=UTC))
    make_intent(user, linked_trade=buy)
    adherence_drafts_update(user_id=user.id)
    Rule.objects.create(user=user, kind="maxTradesPerDay", params={"limit": 3})
    client.force_login(user)
    html = client.get("/journal/").content.decode()
    assert "Felt the FOMO creeping in" in html and "someone else" not in html
    assert "greedy 4/5" in html and "#fomo" in html
    assert 'data-check="entrySlippagePct"' in html and ">draft<" in html
    assert html.count('id="rule-streaks"') == 1 and "<title>Journal · " in html  # streak rows come from the API
    assert 'src="/static/js/journal.js"' in html and "<script>" not in html  # CSP: no inline script
    assert html.count('src="/static/js/journal-api.js"') == 1
    assert '<a href="/journal/">Journal</a>' in html  # in the navigation


def test_filters_and_search_narrow_the_timeline(client, user):
    entry_create(user=user, data={"type": "note", "content": {"text": "Chased the pump"}})
    entry_create(user=user, data={"type": "note", "content": {"text": "Waited patiently", "tags": ["patience"]}})
    client.force_login(user)
    assert "Chased" not in client.get("/journal/", {"q": "patiently"}).content.decode()
    assert "Waited" in client.get("/journal/", {"q": "patiently"}).content.decode()
    assert "Chased" not in client.get("/journal/", {"tag": "patience"}).content.decode()
    assert 'id="journal-empty"' in client.get("/journal/", {"type": "pre"}).content.decode()
    assert 'id="journal-problem"' in client.get("/journal/", {"q": "a"}).content.decode()


def test_the_page_needs_a_login(client):
    assert client.get("/journal/").status_code == 302


def test_the_entry_form_opens_from_my_intent_or_trade_only(client, user, other_user):
    intent = make_intent(user)
    trade = TradeFactory(user=user, side="SELL", symbol="ETH-USD")
    foreign = make_intent(other_user)
    client.force_login(user)
    html = client.get("/journal/", {"intent": intent.id}).content.decode()
    assert f'data-type="pre" data-intent-id="{intent.id}"' in html and "Before the trade: BTC-USD" in html
    html = client.get("/journal/", {"trade": trade.id}).content.decode()
    assert f'data-type="post" data-trade-id="{trade.id}"' in html and "After the trade: SELL ETH-USD" in html
    html = client.get("/journal/", {"intent": foreign.id}).content.decode()
    assert 'data-type="note"' in html and foreign.id not in html
