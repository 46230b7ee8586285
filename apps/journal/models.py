from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import BaseModel

TEXT_FIELD = "journal.text"  # the sealed field's name in its AAD


class EntryType(models.TextChoices):
    PRE = "pre", "Before a trade"
    POST = "post", "After a trade"
    NOTE = "note", "Note"


class EntryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"  # written by the app (a post entry with the facts filled in) for the user to complete
    FINAL = "final", "Final"


class JournalEntry(BaseModel):
    """One journal entry. Its text is sealed with the user's data key (`text_enc`); `search_tokens` is a blind
    index of its words (keyed hashes, see services.entries), so search never needs the plaintext in the database."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_entries")
    type = models.CharField(max_length=4, choices=EntryType.choices)
    status = models.CharField(max_length=5, choices=EntryStatus.choices, default=EntryStatus.FINAL)
    intent = models.ForeignKey("gate.PretradeIntent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    trade = models.ForeignKey("trades.Trade", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    symbol = models.CharField(max_length=32, blank=True, default="")
    text_enc = models.BinaryField()
    tags = models.JSONField(default=list, blank=True)
    tag_index = models.CharField(max_length=1024, blank=True, default="")  # " tag1 tag2 " for the tag filter
    emotions = models.JSONField(default=dict, blank=True)
    adherence = models.JSONField(null=True, blank=True)
    search_tokens = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["intent"], condition=Q(type="post"), name="journal_post_per_intent_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="journal_entry_user_created_idx"),
            models.Index(fields=["trade"], name="journal_entry_trade_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} entry {self.id}"


class Attachment(BaseModel):
    """An image attached to an entry, re-encoded (no metadata) and stored under a random key."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="attachments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    storage_key = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=16)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["entry", "created_at"], name="journal_attachment_entry_idx")]
