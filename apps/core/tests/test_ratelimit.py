import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Audit, Session, User
from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory
from apps.core.testing import rate_window_fresh

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def test_eleventh_login_in_a_minute_is_429_with_retry_after():
    user = UserFactory()
    rate_window_fresh(key_value="198.51.100.20")
    client = APIClient(REMOTE_ADDR="198.51.100.20")
    for _ in range(10):
        response = client.post("/api/auth/login", {"email": user.email, "password": "wrong-password-x"},
                               format="json")
        assert response.status_code == 401
    sessions_before = Session.objects.count()
    audits_before = Audit.objects.count()

    response = client.post("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert Session.objects.count() == sessions_before
    assert Audit.objects.count() == audits_before


def test_limit_is_per_ip():
    user = UserFactory()
    rate_window_fresh(key_value="198.51.100.21")
    blocked = APIClient(REMOTE_ADDR="198.51.100.21")
    for _ in range(11):
        blocked.post("/api/auth/login", {"email": "someone-else@example.com", "password": "wrong-password-x"},
                     format="json")
    assert blocked.post("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD},
                        format="json").status_code == 429
    other = APIClient(REMOTE_ADDR="198.51.100.22")
    response = other.post("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200


def test_signup_shares_the_auth_limit():
    rate_window_fresh(key_value="198.51.100.23")
    client = APIClient(REMOTE_ADDR="198.51.100.23")
    for n in range(10):
        client.post("/api/auth/login", {"email": f"x{n}@example.com", "password": "wrong-password-x"}, format="json")
    response = client.post("/api/auth/signup", {"email": "new@example.com", "password": "violet-harbour-42"},
                           format="json")
    assert response.status_code == 429
    assert "Retry-After" in response
    assert not User.objects.exists()


def test_login_page_is_limited_too(client):
    rate_window_fresh(key_value="198.51.100.24")
    for _ in range(10):
        client.post("/login/", {"email": "a@example.com", "password": "wrong-password-x"}, REMOTE_ADDR="198.51.100.24")
    response = client.post("/login/", {"email": "a@example.com", "password": "wrong-password-x"},
                           REMOTE_ADDR="198.51.100.24")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Too many requests" in response.content
    assert response["Content-Type"].startswith("text/html")


def test_page_get_is_not_counted(client):
    for _ in range(15):
        assert client.get("/login/", REMOTE_ADDR="198.51.100.25").status_code == 200


@pytest.fixture
def cache_unreachable(settings):
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{sock.getsockname()[1]}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    yield
    sock.close()


def test_limiter_fails_closed_when_the_cache_is_down(cache_unreachable, client):
    user = UserFactory()
    response = APIClient().post("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD},
                                format="json")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert not Session.objects.filter(user=user).exists()

    page = client.post("/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert page.status_code == 503
    assert b"Temporarily unavailable" in page.content
    assert not Session.objects.filter(user=user).exists()
