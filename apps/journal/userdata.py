"""Journal entries (their text opened from its seal) and attachments, rows and stored images, for export
and delete (see apps.core.userdata)."""
from apps.core.userdata import user_data_register, user_files_register

from .models import Attachment, JournalEntry
from .selectors import entry_text


def entry_opened(row: dict) -> dict:
    """The exported entry carries its text, opened with the owner's data key (the sealed column is dropped)."""
    entry = JournalEntry(id=row["id"], user_id=row["user_id"], text_enc=bytes(row["text_enc"]))
    return {**row, "text": entry_text(entry=entry)}


user_data_register(model="journal.JournalEntry", exclude=("search_tokens",), transform=entry_opened,
                   order_by=("created_at", "id"))
user_data_register(model="journal.Attachment")


@user_files_register
def attachment_files(user) -> list[str]:
    return list(Attachment.objects.filter(user=user).values_list("storage_key", flat=True))
