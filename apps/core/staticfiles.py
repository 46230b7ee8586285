"""The production storage of static files: whitenoise's compressed files named by their content's hash, whose
URLs are worked out once per file and process.

`{% static %}` asks the storage for a file's URL on every render, and a page names ten to fifteen files (the
base layout's styles and scripts, the page's own). Each answer is a manifest look-up plus a URL split, join
and unquote: about a tenth of a millisecond of CPU a file, a tenth of a small page's render. The manifest does
not change while a process runs (collectstatic writes a new one for the next deploy), so the answer for a
name is kept; a manifest loaded anew (`hashed_files` replaced) starts a new set.
"""
from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}
        self._urls_manifest = self.hashed_files

    def url(self, name, force=False):
        if force or settings.DEBUG:  # unhashed in DEBUG, as the parent answers
            return super().url(name, force)
        if self._urls_manifest is not self.hashed_files:
            self._urls, self._urls_manifest = {}, self.hashed_files
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)  # a name missing from the manifest raises, and is not kept
            return url
