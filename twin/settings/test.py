"""Test settings: real PostgreSQL and Redis when reachable (required when TWIN_REQUIRE_SERVICES=1)."""
import socket
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, env, shared_backends

PG_URL = env("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/twin")
TEST_REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/1")
REQUIRE_SERVICES = env.bool("TWIN_REQUIRE_SERVICES", default=False)
(BASE_DIR / "var" / "staticfiles").mkdir(parents=True, exist_ok=True)


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    default_port = 5432 if parsed.scheme.startswith("postgres") else 6379
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


HAS_POSTGRES = _reachable(PG_URL)
HAS_REDIS = _reachable(TEST_REDIS_URL)
if REQUIRE_SERVICES and not (HAS_POSTGRES and HAS_REDIS):
    missing = [n for n, ok in (("PostgreSQL", HAS_POSTGRES), ("Redis", HAS_REDIS)) if not ok]
    raise ImproperlyConfigured(f"TWIN_REQUIRE_SERVICES=1 but unreachable: {', '.join(missing)}")

TEST_DB_NAME = env("TEST_DB_NAME", default="test_twin")
if HAS_POSTGRES:
    DATABASES = {"default": env.db_url_config(PG_URL)}
    DATABASES["default"]["TEST"] = {"NAME": TEST_DB_NAME}
    if env.bool("TWIN_USE_EXISTING_TEST_DB", default=False):
        # Subprocesses started by a test (e.g. a real Celery worker) use the test database it created.
        DATABASES["default"]["NAME"] = TEST_DB_NAME
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:", "TEST": {"NAME": ""}}}

CACHE_KEY_PREFIX = f"{TEST_DB_NAME}"
REDIS_URL = TEST_REDIS_URL if HAS_REDIS else ""
CACHES, CHANNEL_LAYERS = shared_backends(REDIS_URL, CACHE_KEY_PREFIX)
CELERY_BROKER_URL = REDIS_URL or "memory://"

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)  # a real worker started by a test: 0
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
SESSION_HASH_PEPPER = "test-pepper"
TOKEN_KEKS = ["test1:dGVzdC1rZXktZW5jcnlwdGlvbi1rZXktMDAwMDAwMDE="]
ENGINE_API_SECRET = "test-engine-secret"
MEDIA_ROOT = str(BASE_DIR / "var" / "test-media")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SITE_URL = "http://testserver"
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
