"""The production static storage answers the URLs whitenoise's manifest storage answers, working each out
once per name while the manifest stays the same."""

import json

import pytest
from django.test import override_settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

from apps.core.staticfiles import ManifestStaticFilesStorage

MANIFEST = {"paths": {"css/app.css": "css/app.0123456789ab.css", "js/nav.js": "js/nav.ba9876543210.js"},
            "version": "1.1", "hash": "x"}


@pytest.fixture
def static_root(tmp_path):
    (tmp_path / "staticfiles.json").write_text(json.dumps(MANIFEST))
    return tmp_path


def _storages(root):
    options = {"location": str(root), "base_url": "/static/"}
    return ManifestStaticFilesStorage(**options), CompressedManifestStaticFilesStorage(**options)


@override_settings(DEBUG=False)
def test_urls_are_the_manifest_storages_and_each_is_worked_out_once(static_root, monkeypatch):
    ours, theirs = _storages(static_root)
    names = ["css/app.css", "js/nav.js", "css/app.css#frag", "css/"]
    assert [ours.url(n) for n in names] == [theirs.url(n) for n in names]
    assert ours.url("css/app.css") == "/static/css/app.0123456789ab.css"
    worked_out = []
    monkeypatch.setattr(CompressedManifestStaticFilesStorage, "url",
                        lambda self, name, force=False: worked_out.append(name) or "computed")
    assert ours.url("js/nav.js") == "/static/js/nav.ba9876543210.js"  # kept from the first answer
    assert worked_out == []


@override_settings(DEBUG=False)
def test_a_name_missing_from_the_manifest_raises_every_time(static_root):
    ours, _ = _storages(static_root)
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            ours.url("js/missing.js")


@override_settings(DEBUG=False)
def test_a_manifest_loaded_anew_starts_a_new_set(static_root):
    ours, _ = _storages(static_root)
    assert ours.url("js/nav.js") == "/static/js/nav.ba9876543210.js"
    ours.hashed_files = {**ours.hashed_files, "js/nav.js": "js/nav.fedcba987654.js"}
    assert ours.url("js/nav.js") == "/static/js/nav.fedcba987654.js"


@override_settings(DEBUG=True)
def test_in_debug_urls_are_unhashed_as_the_parent_answers(static_root):
    ours, _ = _storages(static_root)
    assert ours.url("js/nav.js") == "/static/js/nav.js"
