from django.contrib import admin

from .models import Attachment, JournalEntry


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    """Ops view: the sealed text and its search index are never shown."""

    list_display = ("id", "user", "type", "status", "symbol", "created_at")
    list_filter = ("type", "status")
    exclude = ("text_enc", "search_tokens")
    readonly_fields = ("user", "type", "status", "intent", "trade", "symbol", "tags", "tag_index", "emotions",
                       "adherence", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "entry", "content_type", "size", "created_at")
    readonly_fields = ("entry", "user", "storage_key", "content_type", "size", "width", "height")

    def has_add_permission(self, request) -> bool:
        return False
