"""Journal entries: create, change, delete; the text sealed with the user's data key.

The text of an entry is sealed (AES-256-GCM, the user's data key, AAD = entry id + user id + field) before it
touches the database, and opened only for its owner. Search works on a blind index: each distinct word of
the text becomes a keyed hash (HMAC-SHA256 under a key derived from the user's data key), stored in
`search_tokens`; a search hashes its words the same way and matches whole words. The index reveals neither
the words nor anything across users; it does show which of one user's entries share a word.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from apps.brokers.services import data_key_get_or_create, secret_seal
from apps.core.contracts import contract_validate
from apps.core.errors import Conflict, NotFound, ValidationFailed
from apps.core.ids import new_id
from apps.events.services import event_append
from apps.gate.selectors import intent_get
from apps.trades.selectors import trade_get

from ..models import TEXT_FIELD, EntryStatus, EntryType, JournalEntry
from ..selectors import entry_get, entry_text

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_INDEXED_WORDS = 2000
TOKEN_HEX = 16
SEARCH_MAX_WORDS = 8


@sensitive_variables()
def _search_key(*, user_id: str) -> bytes:
    _, dek = data_key_get_or_create(user_id=user_id)
    return hmac.new(dek, b"twin.journal.search", hashlib.sha256).digest()


def _words(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.casefold()):
        if len(word) >= 2:
            seen.setdefault(word)
        if len(seen) >= MAX_INDEXED_WORDS:
            break
    return list(seen)


@sensitive_variables()
def search_tokens_for(*, user_id: str, text: str) -> list[str]:
    """The blind-index tokens of the words of `text` for this user (whole words, case-insensitive)."""
    key = _search_key(user_id=user_id)
    return [hmac.new(key, word.encode(), hashlib.sha256).hexdigest()[:TOKEN_HEX] for word in _words(text)]


def search_query_tokens(*, user_id: str, q: str) -> list[str]:
    """The tokens a search for `q` must all match; ValidationFailed unless it holds 1 to SEARCH_MAX_WORDS words
    of two letters or more."""
    tokens = search_tokens_for(user_id=user_id, text=q or "")
    if not tokens or len(tokens) > SEARCH_MAX_WORDS:
        raise ValidationFailed(f"Search for 1 to {SEARCH_MAX_WORDS} words of two letters or more.",
                               fields={"q": [f"Search for 1 to {SEARCH_MAX_WORDS} words of two letters or more."]})
    return tokens


def _index(tokens: list[str]) -> str:
    return f" {' '.join(tokens)} " if tokens else ""


@sensitive_variables()
def _set_text(entry: JournalEntry, text: str) -> None:
    entry.text_enc = secret_seal(user_id=entry.user_id, record_id=entry.id, field_name=TEXT_FIELD, plaintext=text)
    entry.search_tokens = _index(search_tokens_for(user_id=entry.user_id, text=text))


def _set_tags(entry: JournalEntry, tags: list[str]) -> None:
    entry.tags = list(tags)
    entry.tag_index = f" {' '.join(tags)} " if tags else ""


def entry_text_open(*, entry: JournalEntry) -> str:
    """The entry's text, opened with its owner's data key (callers have already scoped `entry` to its owner)."""
    return entry_text(entry=entry)


def _created_event(entry: JournalEntry) -> str:
    payload = {"entryId": entry.id, "type": entry.type, "status": entry.status}
    if entry.intent_id:
        payload["intentId"] = entry.intent_id
    if entry.trade_id:
        payload["tradeId"] = entry.trade_id
    if entry.symbol:
        payload["symbol"] = entry.symbol
    return event_append(user=entry.user, type="journal.entry.created", payload=payload).id


def _not_yours(field: str, what: str) -> ValidationFailed:
    return ValidationFailed(f"No such {what} of yours.", code="invalid", fields={f"$.{field}": [f"No such {what}."]})


def _write_new(entry: JournalEntry, *, text: str) -> tuple[JournalEntry, str]:
    try:
        with transaction.atomic():
            _set_text(entry, text)
            entry.save(force_insert=True)
            event_id = _created_event(entry)
    except IntegrityError as exc:  # another request wrote the intent's post entry first
        raise Conflict("This intent already has an entry after its trade: change that one.",
                       code="post_entry_exists") from exc
    return entry, event_id


def entry_create(*, user, data) -> JournalEntry:
    """A new entry from a `journal-entry` body; `journal.entry.created` in the same transaction."""
    return _entry_create(user=user, data=data)[0]


def _entry_create(*, user, data) -> tuple[JournalEntry, str]:
    contract_validate(kind="requests", name="journal-entry", data=data)
    entry_type = data["type"]
    intent = trade = None
    if data.get("intentId"):
        if entry_type == EntryType.NOTE:
            raise ValidationFailed(fields={"$.intentId": ["A note is not tied to an intent."]})
        try:
            intent = intent_get(user=user, intent_id=data["intentId"])
        except NotFound as exc:  # another user's intent too: never reveal it exists
            raise _not_yours("intentId", "intent") from exc
    if data.get("tradeId"):
        if entry_type == EntryType.PRE:
            raise ValidationFailed(fields={"$.tradeId": ["An entry before a trade cannot name the trade."]})
        try:
            trade = trade_get(user=user, trade_id=data["tradeId"])
        except NotFound as exc:
            raise _not_yours("tradeId", "trade") from exc
    if entry_type == EntryType.POST and intent is not None and trade is None:
        trade = intent.linked_trade
    if entry_type == EntryType.POST and intent is not None and JournalEntry.objects.filter(
            intent=intent, type=EntryType.POST).exists():
        raise Conflict("This intent already has an entry after its trade: change that one.", code="post_entry_exists")
    entry = JournalEntry(id=new_id(), user=user, type=entry_type, status=EntryStatus.FINAL, intent=intent, trade=trade,
                         symbol=(intent.symbol if intent else trade.symbol if trade else ""),
                         emotions=dict(data.get("emotions") or {}))
    _set_tags(entry, data["content"].get("tags") or [])
    return _write_new(entry, text=data["content"]["text"])


def entry_note_add(*, user, text: str, trade_id: str | None = None) -> tuple[JournalEntry, str]:
    """A note entry from the socket's `note.add`. -> (the entry, its event's id)."""
    body: dict = {"type": EntryType.NOTE.value, "content": {"text": text}}
    if trade_id:
        body["tradeId"] = trade_id
    return _entry_create(user=user, data=body)


def entry_update(*, user, entry_id: str, data) -> JournalEntry:
    """Change an entry's text, tags, emotions, or complete a draft (`status: final`)."""
    contract_validate(kind="requests", name="journal-entry-update", data=data)
    with transaction.atomic():
        entry = entry_get(user=user, entry_id=entry_id, for_update=True)
        content = data.get("content") or {}
        if "text" in content:
            _set_text(entry, content["text"])
        if "tags" in content:
            _set_tags(entry, content["tags"])
        if "emotions" in data:
            entry.emotions = dict(data["emotions"])
        if data.get("status") == EntryStatus.FINAL:
            entry.status = EntryStatus.FINAL
        entry.save()
    return entry


def entry_delete(*, user, entry_id: str) -> None:
    """Delete an entry and its attachments (rows now, stored files after commit)."""
    from .attachments import attachment_files_delete_on_commit

    with transaction.atomic():
        entry = entry_get(user=user, entry_id=entry_id, for_update=True)
        attachment_files_delete_on_commit(entry=entry)
        entry.delete()
