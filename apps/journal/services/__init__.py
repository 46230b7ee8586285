"""Journal services (writes): entries (sealed text, blind search index), adherence drafts, attachments."""
from .adherence import adherence_drafts_update
from .attachments import UnsupportedAttachment, attachment_add, attachment_open
from .entries import (
    entry_create,
    entry_delete,
    entry_note_add,
    entry_text_open,
    entry_update,
    search_query_tokens,
    search_tokens_for,
)

__all__ = [
    "UnsupportedAttachment", "adherence_drafts_update", "attachment_add", "attachment_open", "entry_create", "entry_delete", "entry_note_add", "entry_text_open", "entry_update",
    "search_query_tokens", "search_tokens_for",
]
