"""Attachments: images only (by content), at most 5 MB, re-encoded without metadata, served to their owner only."""
from __future__ import annotations

import io
import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from apps.journal.models import Attachment

pytestmark = pytest.mark.django_db


def image_bytes(kind: str, *, size=(64, 48), exif: bool = False, text: str | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "CameraMaker"  # Make
        data[0x8825] = {2: (52.0, 31.0, 12.0)}  # GPS latitude
        options["exif"] = data
    if text is not None:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", text)
        options["pnginfo"] = info
    image.save(out, format=kind, **options)
    return out.getvalue()


@pytest.fixture
def entry_id(api_client):
    return api_client.post("/api/journal-entries", {"type": "note", "content": {"text": "chart"}},
                           format="json").json()["id"]


def upload(client, entry_id, data: bytes, name="chart.png", content_type="image/png"):
    return client.post(f"/api/journal-entries/{entry_id}/attachments",
                       {"file": SimpleUploadedFile(name, data, content_type=content_type)}, format="multipart")


def stored(attachment_id: str) -> bytes:
    with default_storage.open(Attachment.objects.get(id=attachment_id).storage_key, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize(("kind", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                                    ("WEBP", "image/webp")])
def test_each_image_type_is_stored_re_encoded_and_served_to_its_owner(api_client, entry_id, kind, content_type):
    response = upload(api_client, entry_id, image_bytes(kind), name="whatever.bin", content_type="text/plain")
    assert response.status_code == 201
    data = response.json()
    assert (data["contentType"], data["width"], data["height"]) == (content_type, 64, 48)
    served = api_client.get(data["url"])
    assert served.status_code == 200 and served["Content-Type"] == content_type
    assert served["Cache-Control"] == "private, no-store"
    body = b"".join(served.streaming_content)
    assert body == stored(data["id"]) and len(body) == data["size"]
    assert Image.open(io.BytesIO(body)).format == kind
    attachment = Attachment.objects.get(id=data["id"])
    assert attachment.storage_key.startswith("journal/") and "whatever" not in attachment.storage_key
    assert api_client.get(f"/api/journal-entries/{entry_id}").json()["attachments"][0]["id"] == data["id"]


def test_exif_and_text_metadata_are_stripped(api_client, entry_id):
    jpeg = image_bytes("JPEG", exif=True)
    assert b"CameraMaker" in jpeg
    first = upload(api_client, entry_id, jpeg, name="photo.jpg", content_type="image/jpeg").json()
    png = image_bytes("PNG", text="secret account 1234")
    second = upload(api_client, entry_id, png).json()
    clean_jpeg, clean_png = stored(first["id"]), stored(second["id"])
    assert b"CameraMaker" not in clean_jpeg and b"Exif" not in clean_jpeg
    assert not Image.open(io.BytesIO(clean_jpeg)).getexif()
    assert b"secret account" not in clean_png and Image.open(io.BytesIO(clean_png)).text == {}


@pytest.mark.parametrize("data", [
    b"GIF89a" + bytes(100),  # a GIF
    image_bytes("GIF"),
    image_bytes("BMP"),
    b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
    b"%PDF-1.4 not an image",
    image_bytes("PNG")[:60],  # truncated
])
def test_anything_else_is_unsupported_and_nothing_is_stored(api_client, entry_id, data):
    response = upload(api_client, entry_id, data, name="chart.png", content_type="image/png")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unsupported_attachment"
    assert not Attachment.objects.exists()


def test_a_file_over_5_mb_is_a_413(api_client, entry_id):
    big = image_bytes("PNG") + os.urandom(5 * 1024 * 1024)
    response = upload(api_client, entry_id, big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    assert not Attachment.objects.exists()


def test_a_missing_file_is_a_400(api_client, entry_id):
    response = api_client.post(f"/api/journal-entries/{entry_id}/attachments", {}, format="multipart")
    assert response.status_code == 400 and not Attachment.objects.exists()


def test_only_the_owner_attaches_and_reads(api_client, other_api_client, entry_id):
    assert upload(other_api_client, entry_id, image_bytes("PNG")).status_code == 404
    url = upload(api_client, entry_id, image_bytes("PNG")).json()["url"]
    assert other_api_client.get(url).status_code == 404
    assert api_client.get("/api/journal-attachments/nope").status_code == 404


def test_deleting_the_entry_deletes_the_stored_files(api_client, entry_id, django_capture_on_commit_callbacks):
    data = upload(api_client, entry_id, image_bytes("PNG")).json()
    key = Attachment.objects.get(id=data["id"]).storage_key
    assert default_storage.exists(key)
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(f"/api/journal-entries/{entry_id}").status_code == 204
    assert not default_storage.exists(key) and not Attachment.objects.exists()


def test_an_entry_holds_at_most_ten_attachments(api_client, entry_id):
    for _ in range(10):
        assert upload(api_client, entry_id, image_bytes("PNG", size=(4, 4))).status_code == 201
    response = upload(api_client, entry_id, image_bytes("PNG", size=(4, 4)))
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_many_attachments"
    assert Attachment.objects.count() == 10
