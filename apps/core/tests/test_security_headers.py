import pytest

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            out[tokens[0]] = tokens[1:]
    return out


@pytest.mark.parametrize("path", ["/", "/login/", "/api/auth/csrf", "/api/auth/me", "/healthz", "/api/docs/"])
def test_security_headers_on_pages_and_api(client, path):
    response = client.get(path)
    assert response.status_code in (200, 401)

    csp = _directives(response["Content-Security-Policy"])
    script_src = csp.get("script-src", csp["default-src"])
    assert script_src == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["style-src"] == ["'self'"]
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    policy = {item.strip() for item in response["Permissions-Policy"].split(",")}
    for feature in ("camera", "microphone", "geolocation", "accelerometer", "gyroscope", "magnetometer"):
        assert f"{feature}=()" in policy
    assert "Strict-Transport-Security" not in response


def test_session_cookie_flags(client, user):
    from apps.accounts.testing import DEFAULT_PASSWORD

    response = client.post("/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_settings_harden_transport():
    import ast
    from pathlib import Path

    from django.conf import settings

    tree = ast.parse((Path(settings.BASE_DIR) / "twin" / "settings" / "production.py").read_text())
    assigned = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    literal = {name: ast.literal_eval(value) for name, value in assigned.items()
               if isinstance(value, (ast.Constant, ast.Tuple))}
    assert literal["SECURE_HSTS_SECONDS"] == 31536000
    assert literal["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert literal["SECURE_HSTS_PRELOAD"] is True
    assert literal["SESSION_COOKIE_SECURE"] is True
    assert literal["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert literal["CSRF_COOKIE_SECURE"] is True
