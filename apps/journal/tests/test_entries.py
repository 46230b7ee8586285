"""Entries over the API: the contract, sealing, ownership, filters, search and paging."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.events.models import EventOutbox
from apps.journal.models import JournalEntry
from apps.trades.testing import TradeFactory

from .conftest import make_intent

pytestmark = pytest.mark.django_db

URL = "/api/journal-entries"


def body(**changes) -> dict:
    data = {"type": "note", "content": {"text": "Chased the breakout again", "tags": ["fomo"]},
            "emotions": {"greedy": 4, "anxious": 2}}
    data.update(changes)
    return data


def test_a_pre_entry_from_an_intent_is_stored_sealed_and_announced(api_client, user, intent):
    response = api_client.post(URL, body(type="pre", intentId=intent.id,
                                         content={"text": "Plan: buy the range low at 100", "tags": ["plan"]}),
                               format="json")
    assert response.status_code == 201
    data = response.json()
    entry = JournalEntry.objects.get()
    assert data["id"] == entry.id and data["type"] == "pre" and data["status"] == "final"
    assert data["intentId"] == intent.id and data["tradeId"] is None and data["symbol"] == "BTC-USD"
    assert data["content"] == {"text": "Plan: buy the range low at 100", "tags": ["plan"]}
    assert data["emotions"] == {"greedy": 4, "anxious": 2}
    assert data["adherence"] is None and data["attachments"] == []
    raw = bytes(entry.text_enc)
    assert b"range low" not in raw and b"Plan" not in raw and len(raw) > 30
    assert "range" not in entry.search_tokens and len(entry.search_tokens.split()) == 7  # plan buy the range low at 100
    [event] = EventOutbox.objects.filter(user=user)
    assert event.type == "journal.entry.created"
    assert event.payload == {"entryId": entry.id, "type": "pre", "status": "final", "intentId": intent.id,
                             "symbol": "BTC-USD"}
    assert api_client.get(f"{URL}/{entry.id}").json()["content"]["text"] == "Plan: buy the range low at 100"


@pytest.mark.parametrize(("change", "path"), [
    ({"emotions": {"calm": 6}}, "$.emotions.calm"),
    ({"emotions": {"bored": 2}}, "$.emotions.bored"),
    ({"type": "review"}, "$.type"),
    ({"content": {"tags": ["x"]}}, "$.content.text"),
    ({"content": {"text": "ok", "tags": ["Not A Tag"]}}, "$.content.tags[0]"),
    ({"extra": 1}, "$.extra"),
])
def test_a_body_breaking_the_contract_is_a_400_naming_the_path_and_writes_nothing(api_client, change, path):
    response = api_client.post(URL, body(**change), format="json")
    assert response.status_code == 400
    assert path in response.json()["error"]["fields"]
    assert not JournalEntry.objects.exists() and not EventOutbox.objects.exists()


def test_another_users_trade_or_intent_cannot_be_named(api_client, other_user):
    trade = TradeFactory(user=other_user)
    intent = make_intent(other_user)
    first = api_client.post(URL, body(type="post", tradeId=trade.id), format="json")
    second = api_client.post(URL, body(type="pre", intentId=intent.id), format="json")
    assert first.status_code == 400 and first.json()["error"]["fields"] == {"$.tradeId": ["No such trade."]}
    assert second.status_code == 400 and second.json()["error"]["fields"] == {"$.intentId": ["No such intent."]}
    assert not JournalEntry.objects.exists() and not EventOutbox.objects.exists()


def test_a_pre_entry_cannot_name_a_trade_nor_a_note_an_intent(api_client, user, intent):
    trade = TradeFactory(user=user)
    assert api_client.post(URL, body(type="pre", tradeId=trade.id), format="json").status_code == 400
    assert api_client.post(URL, body(type="note", intentId=intent.id), format="json").status_code == 400
    assert not JournalEntry.objects.exists()


def test_a_second_post_entry_for_one_intent_is_a_conflict(api_client, user):
    trade = TradeFactory(user=user)
    intent = make_intent(user, linked_trade=trade)
    first = api_client.post(URL, body(type="post", intentId=intent.id), format="json")
    assert first.status_code == 201 and first.json()["tradeId"] == trade.id  # the intent's linked trade
    second = api_client.post(URL, body(type="post", intentId=intent.id), format="json")
    assert second.status_code == 409 and second.json()["error"]["code"] == "post_entry_exists"
    assert JournalEntry.objects.count() == 1


def test_every_route_answers_404_for_another_users_entry(api_client, other_api_client):
    entry_id = api_client.post(URL, body(), format="json").json()["id"]
    assert other_api_client.get(f"{URL}/{entry_id}").status_code == 404
    assert other_api_client.patch(f"{URL}/{entry_id}", {"status": "final"}, format="json").status_code == 404
    assert other_api_client.delete(f"{URL}/{entry_id}").status_code == 404
    assert other_api_client.get(URL).json() == {"results": [], "nextCursor": None}
    assert other_api_client.get(URL, {"q": "breakout"}).json()["results"] == []
    assert JournalEntry.objects.filter(id=entry_id).exists()


def test_anonymous_requests_are_refused(client):
    assert client.get(URL).status_code in (401, 403)


def test_patch_reseals_the_text_and_updates_tags_emotions_and_search(api_client):
    entry_id = api_client.post(URL, body(), format="json").json()["id"]
    before = bytes(JournalEntry.objects.get(id=entry_id).text_enc)
    response = api_client.patch(f"{URL}/{entry_id}", {"content": {"text": "Waited for the retest", "tags": []},
                                                     "emotions": {"calm": 5}}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["content"] == {"text": "Waited for the retest", "tags": []} and data["emotions"] == {"calm": 5}
    assert bytes(JournalEntry.objects.get(id=entry_id).text_enc) != before
    assert [e["id"] for e in api_client.get(URL, {"q": "retest"}).json()["results"]] == [entry_id]
    assert api_client.get(URL, {"q": "breakout"}).json()["results"] == []
    assert api_client.get(URL, {"tag": "fomo"}).json()["results"] == []


def test_patch_breaking_its_contract_changes_nothing(api_client):
    entry_id = api_client.post(URL, body(), format="json").json()["id"]
    response = api_client.patch(f"{URL}/{entry_id}", {"content": {"text": ""}, "emotions": {"calm": 1}}, format="json")
    assert response.status_code == 400 and "$.content.text" in response.json()["error"]["fields"]
    assert api_client.get(f"{URL}/{entry_id}").json()["emotions"] == {"greedy": 4, "anxious": 2}
    assert api_client.patch(f"{URL}/{entry_id}", {}, format="json").status_code == 400


def test_delete_removes_the_entry(api_client):
    entry_id = api_client.post(URL, body(), format="json").json()["id"]
    assert api_client.delete(f"{URL}/{entry_id}").status_code == 204
    assert api_client.get(f"{URL}/{entry_id}").status_code == 404
    assert not JournalEntry.objects.exists()


def test_list_filters_by_type_symbol_tag_and_date_range(api_client, user, intent):
    trade = TradeFactory(user=user, symbol="ETH-USD")
    note = api_client.post(URL, body(), format="json").json()["id"]
    pre = api_client.post(URL, body(type="pre", intentId=intent.id, content={"text": "plan", "tags": ["plan"]}),
                          format="json").json()["id"]
    post = api_client.post(URL, body(type="post", tradeId=trade.id, content={"text": "done", "tags": ["fomo", "eth"]}),
                           format="json").json()["id"]

    def ids(**params):
        response = api_client.get(URL, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [post, pre, note]
    assert ids(type="pre") == [pre]
    assert ids(symbol="ETH-USD") == [post]
    assert ids(tag="fomo") == [post, note]
    assert ids(tradeId=trade.id) == [post]
    old = timezone.now() - timedelta(days=3)
    JournalEntry.objects.filter(id=note).update(created_at=old)
    assert ids(since=(old + timedelta(days=1)).isoformat()) == [post, pre]
    assert ids(until=(old + timedelta(days=1)).isoformat()) == [note]
    assert api_client.get(URL, {"type": "review"}).status_code == 400


def test_search_matches_whole_words_in_any_case_and_needs_every_word(api_client):
    first = api_client.post(URL, body(content={"text": "Panic sold the DIP, again."}), format="json").json()["id"]
    second = api_client.post(URL, body(content={"text": "Bought the dip with a plan"}), format="json").json()["id"]

    def found(q):
        return [row["id"] for row in api_client.get(URL, {"q": q}).json()["results"]]

    assert found("dip") == [second, first]
    assert found("panic DIP") == [first]
    assert found("plan") == [second]
    assert found("di") == []  # whole words only
    assert api_client.get(URL, {"q": "a"}).status_code == 400  # no word of two letters


def test_list_pages_with_a_cursor(api_client):
    made = [api_client.post(URL, body(content={"text": f"note {i}"}), format="json").json()["id"] for i in range(5)]
    first = api_client.get(URL, {"limit": 2}).json()
    second = api_client.get(URL, {"limit": 2, "cursor": first["nextCursor"]}).json()
    third = api_client.get(URL, {"limit": 2, "cursor": second["nextCursor"]}).json()
    assert [r["id"] for r in first["results"] + second["results"] + third["results"]] == made[::-1]
    assert third["nextCursor"] is None
    assert api_client.get(URL, {"cursor": "nope"}).status_code == 400


def test_the_list_reads_a_page_in_a_bounded_number_of_queries(api_client, django_assert_max_num_queries):
    for i in range(12):
        api_client.post(URL, body(content={"text": f"entry {i}"}), format="json")
    # session + user, entries, their attachments, and one data-key read per opened text
    with django_assert_max_num_queries(4 + 12):
        assert len(api_client.get(URL).json()["results"]) == 12
