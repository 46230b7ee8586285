"""The embedded default (`python3 dev.py run`, twin.settings.local) serves the real error pages with its static
files, and turns Django's debug pages on only with the developer flag DJANGO_DEBUG=1."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
missing = client.get("/trades/doesnotexist/", follow=True)
unknown = client.get("/no-such-page/")
css = client.get("/static/css/app.css")
js = client.get("/static/js/format.js")
print(json.dumps({"debug": settings.DEBUG, "unknown": unknown.status_code,
                  "unknown_body": unknown.content.decode(), "missing": missing.status_code,
                  "css": css.status_code, "js": js.status_code,
                  "css_body": b"".join(css.streaming_content).decode()[:20] if css.status_code == 200 else ""}))
"""


def _probe(tmp_path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "TEST_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "twin.settings.local",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}", **extra})
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_default_shows_the_real_404_and_still_serves_static_files(tmp_path):
    seen = _probe(tmp_path)
    assert seen["debug"] is False
    assert seen["unknown"] == 404
    assert "Page not found" in seen["unknown_body"]
    assert "URLconf" not in seen["unknown_body"] and "urlpatterns" not in seen["unknown_body"]
    assert (seen["css"], seen["js"]) == (200, 200)
    assert seen["css_body"].startswith(":root {")


def test_the_developer_flag_turns_debug_pages_on(tmp_path):
    seen = _probe(tmp_path, DJANGO_DEBUG="1")
    assert seen["debug"] is True
    assert seen["unknown"] == 404
    assert "URLconf" in seen["unknown_body"]
