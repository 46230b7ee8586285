"""The socket's `note.add`: a sealed note entry, answered with its ids; bad frames are errors that write nothing."""
from __future__ import annotations

import pytest

from apps.core.errors import DomainError
from apps.events.models import EventOutbox
from apps.events.registry import ws_dispatch
from apps.journal.models import JournalEntry
from apps.journal.selectors import entry_text
from apps.trades.testing import TradeFactory

pytestmark = pytest.mark.django_db


def test_note_add_writes_a_sealed_note_entry(user):
    trade = TradeFactory(user=user)
    answer = ws_dispatch(user=user, type="note.add", payload={"text": "  Sold too early  ", "tradeId": trade.id})
    entry = JournalEntry.objects.get()
    event = EventOutbox.objects.get(user=user)
    assert answer == {"type": "note.add.ok", "eventId": event.id, "entryId": entry.id}
    assert (entry.type, entry.status, entry.trade_id, entry.symbol) == ("note", "final", trade.id, "BTC-USD")
    assert b"Sold" not in bytes(entry.text_enc) and entry_text(entry=entry) == "Sold too early"
    assert event.type == "journal.entry.created"
    assert event.payload == {"entryId": entry.id, "type": "note", "status": "final", "tradeId": trade.id,
                             "symbol": "BTC-USD"}


@pytest.mark.parametrize(("payload", "field"), [
    ({"text": ""}, "text"),
    ({}, "text"),
    ({"text": "x" * 2001}, "text"),
    ({"text": "ok", "tradeId": "x" * 33}, "tradeId"),
])
def test_bad_frames_are_errors_and_write_nothing(user, payload, field):
    with pytest.raises(DomainError) as error:
        ws_dispatch(user=user, type="note.add", payload=payload)
    assert error.value.code == "invalid" and field in error.value.fields
    assert not JournalEntry.objects.exists() and not EventOutbox.objects.exists()


def test_a_note_about_another_users_trade_is_refused(user, other_user):
    trade = TradeFactory(user=other_user)
    with pytest.raises(DomainError) as error:
        ws_dispatch(user=user, type="note.add", payload={"text": "mine?", "tradeId": trade.id})
    assert error.value.fields == {"$.tradeId": ["No such trade."]}
    assert not JournalEntry.objects.exists() and not EventOutbox.objects.exists()
