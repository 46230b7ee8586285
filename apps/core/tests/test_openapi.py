import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/auth/signup:" in text
    assert "/api/auth/csrf:" in text


def test_schema_endpoint_serves_json(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/auth/signup", "/api/auth/login", "/api/auth/logout", "/api/auth/me", "/api/auth/csrf",
            "/api/auth/password", "/api/auth/preferences"} <= set(paths)


def test_docs_page_loads_everything_from_self_without_inline_code(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style[\s>]|\sstyle=", html)
    sources = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert len(sources) == 5
    for source in sources:
        assert source.startswith("/"), source
        asset = client.get(source.replace("&amp;", "&"))
        assert asset.status_code == 200, source
    init = client.get("/api/docs/?script=")
    assert init["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in init.content
