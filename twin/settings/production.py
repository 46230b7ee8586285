"""Production: PostgreSQL + Redis required, secure cookies, HSTS."""
from .base import *  # noqa: F401,F403
from .base import ALLOWED_HOSTS, env, shared_backends

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The web processes (twin/gunicorn_conf.py sets DB_POOL_MAX_SIZE) reuse connections from a psycopg pool: under
# ASGI each request runs on a new thread, where CONN_MAX_AGE would open a connection per thread. Workers,
# beat and relays (no pool) keep theirs for DB_CONN_MAX_AGE seconds.
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)
if DB_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_MAX_SIZE), "max_size": DB_POOL_MAX_SIZE,
        "timeout": env.float("DB_POOL_TIMEOUT", default=10)}  # a request waiting longer answers 503
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
REDIS_URL = env("REDIS_URL")
CACHES, CHANNEL_LAYERS = shared_backends(REDIS_URL, env("CACHE_KEY_PREFIX", default="twin"))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = False
SESSION_HASH_PEPPER = env("SESSION_HASH_PEPPER")
TOKEN_KEKS = env.list("TOKEN_KEKS")
ENGINE_API_SECRET = env("ENGINE_API_SECRET")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]  # plain-HTTP probes and scrapes inside the network
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Host-csrftoken"
STUB_EXCHANGE_EMBEDDED = False
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
SITE_URL = env("SITE_URL", default=f"https://{ALLOWED_HOSTS[0]}")  # links in the digest email
STORAGES = {
    "default": {"BACKEND": env("DEFAULT_FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")},
    # whitenoise's compressed, hashed files; each URL worked out once per process
    "staticfiles": {"BACKEND": "apps.core.staticfiles.ManifestStaticFilesStorage"},
}
