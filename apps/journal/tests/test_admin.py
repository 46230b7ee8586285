"""The ops view never shows an entry's sealed text nor its search index."""
from __future__ import annotations

import pytest

from apps.accounts.testing import UserFactory
from apps.journal.services import entry_create

pytestmark = pytest.mark.django_db


def test_the_admin_shows_an_entry_without_its_text(client, user):
    entry = entry_create(user=user, data={"type": "note", "content": {"text": "my private doubts", "tags": ["doubt"]}})
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/journal/journalentry/")
    page = client.get(f"/admin/journal/journalentry/{entry.id}/change/")
    assert listing.status_code == 200 and page.status_code == 200
    html = page.content.decode()
    assert "doubt" in html  # the tags are plain
    assert "private doubts" not in html and "text_enc" not in html and entry.search_tokens.split()[0] not in html
    assert client.get("/admin/journal/journalentry/add/").status_code == 403
