"""Image attachments of journal entries: checked by content, re-encoded without metadata, stored privately.

Only PNG, JPEG and WebP are taken, recognised from the bytes (never the name or the declared type). Every
image is decoded and encoded again by Pillow from its pixels alone, so EXIF (GPS, camera, time), XMP, ICC
and text chunks never reach storage. Files live on the default storage under a random key and are served
only through the owner-checked view."""
from __future__ import annotations

import io
import secrets
import warnings

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from apps.core.errors import DomainError, PayloadTooLarge
from apps.core.ids import new_id

from ..models import Attachment, JournalEntry
from ..selectors import entry_get

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
MAX_PER_ENTRY = 10
FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}


class UnsupportedAttachment(DomainError):
    code = "unsupported_attachment"
    status = 400
    default_message = "Attach a PNG, JPEG or WebP image."


def _reencoded(data: bytes) -> tuple[bytes, str, int, int]:
    """-> (clean bytes, Pillow format, width, height); UnsupportedAttachment for anything else."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                kind = probe.format
                if probe.width * probe.height > MAX_PIXELS:
                    raise UnsupportedAttachment("The image has too many pixels.")
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                image.load()
                if kind == "JPEG" and image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    image = image.convert("RGBA")
                clean = Image.new(image.mode, image.size)
                if image.mode == "P":
                    clean.putpalette(image.getpalette())
                clean.paste(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError) as exc:
        raise UnsupportedAttachment() from exc
    out = io.BytesIO()
    options = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "PNG": {"optimize": True}}[kind]
    clean.save(out, format=kind, **options)
    return out.getvalue(), kind, clean.width, clean.height


def attachment_add(*, user, entry_id: str, upload) -> Attachment:
    """Attach an uploaded image to the user's entry. 413 past MAX_BYTES; 400 `unsupported_attachment` for
    anything that is not a PNG, JPEG or WebP image. Nothing is stored on failure."""
    entry = entry_get(user=user, entry_id=entry_id)
    if upload is None:
        raise UnsupportedAttachment("Attach the image as the multipart field 'file'.", fields={"file": ["Required."]})
    if upload.size > MAX_BYTES:
        raise PayloadTooLarge(f"An attachment is at most {MAX_BYTES // (1024 * 1024)} MB.")
    data, kind, width, height = _reencoded(upload.read(MAX_BYTES + 1))
    content_type, extension = FORMATS[kind]
    key = f"journal/{secrets.token_urlsafe(24)}.{extension}"
    with transaction.atomic():
        locked = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.attachments.count() >= MAX_PER_ENTRY:
            raise UnsupportedAttachment(f"An entry holds at most {MAX_PER_ENTRY} attachments.",
                                        code="too_many_attachments")
        stored = default_storage.save(key, ContentFile(data))
        try:
            attachment = Attachment.objects.create(id=new_id(), entry=locked, user=user, storage_key=stored,
                                                   content_type=content_type, size=len(data), width=width,
                                                   height=height)
        except BaseException:  # the row did not commit: neither does the file
            default_storage.delete(stored)
            raise
    return attachment


def attachment_open(*, attachment: Attachment):
    """The stored file of an attachment the caller has already scoped to its owner."""
    return default_storage.open(attachment.storage_key, "rb")


def attachment_files_delete_on_commit(*, entry: JournalEntry) -> None:
    """Remove the stored files of the entry's attachments once the delete commits."""
    keys = list(entry.attachments.values_list("storage_key", flat=True))
    if keys:
        transaction.on_commit(lambda: [default_storage.delete(key) for key in keys])
