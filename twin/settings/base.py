"""Settings shared by every environment. One `env` object reads the environment."""
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-secret-key-change-me-0123456789")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# daphne's app only makes `manage.py runserver` serve ASGI (sockets too); loading it installs Twisted's
# reactor (~10 MB and the import time in every worker, relay and command), so only that command loads it.
# The app is served by the `daphne` command itself (`dev.py run`, docker/), which needs no app.
RUNSERVER = sys.argv[1:2] == ["runserver"]
INSTALLED_APPS = [
    *(["daphne"] if RUNSERVER else []),
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "social_django",
    "csp",
    "apps.core",
    "apps.accounts",
    "apps.events",
    "apps.brokers",
    "apps.trades",
    "apps.bias",
    "apps.simulations",
    "apps.digest",
    "apps.analytics",
    "apps.gate",
    "apps.journal",
]

MIDDLEWARE = [
    "apps.core.observability.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.SecurityHeadersMiddleware",
    "apps.core.middleware.RequestTextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.accounts.sessions.TwinSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "apps.core.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "twin.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "twin.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'twin.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
SQLITE_OPTIONS = {
    # Several writers share the embedded database (requests, the in-process job runner, the relay): WAL lets
    # readers run beside a writer, IMMEDIATE transactions take the write lock up front (so the busy timeout
    # applies instead of an instant "database is locked" on a read→write upgrade), and a writer waits up to
    # 30 s for another to commit.
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["apps.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/dashboard/"

# Sessions: Django's framework with our own model (user, ip/ua hashes; raw values never stored).
SESSION_ENGINE = "apps.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SESSION_HASH_PEPPER = env("SESSION_HASH_PEPPER", default="local-pepper-change-me")
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
REQUEST_MAX_BYTES = UPLOAD_MAX_BYTES + 64 * 1024  # any body, chunked or not (apps.core.asgi.BodyLimitMiddleware)
# Proxies of ours in front of daphne, each appending to X-Forwarded-For; 0 = use the TCP peer address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Redis: cache, Celery broker, channel layer. Empty means "embedded default" (no Redis).
REDIS_URL = env("REDIS_URL", default="")
# redis-py's default 5 s read timeout equals channels-redis' 5 s BZPOPMIN, so an idle socket's receive raised
# TimeoutError and daphne closed it with 1011; reads must be allowed to outlast the blocking pop.
CHANNEL_LAYER_SOCKET_TIMEOUT = 15
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="twin")


def shared_backends(redis_url: str, prefix: str) -> tuple[dict, dict]:
    """CACHES and CHANNEL_LAYERS on Redis, or in-process stand-ins when there is no Redis."""
    if not redis_url:
        return (
            {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": prefix}},
            {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
        )
    caches = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": redis_url, "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT}],
                "prefix": f"{prefix}:asgi",
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
    return caches, layers


CACHES, CHANNEL_LAYERS = shared_backends(REDIS_URL, CACHE_KEY_PREFIX)

# Celery
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ["import", "score", "sim", "digest", "gate", "default"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Background jobs (apps.core.jobs): in-process runner instead of Celery (the embedded default turns it on),
# leases renewed while a job runs, a reaper that sends again what a dead worker left or nobody picked up.
JOBS_IN_PROCESS = env.bool("JOBS_IN_PROCESS", default=False)
JOBS_IN_PROCESS_WORKERS = env.int("JOBS_IN_PROCESS_WORKERS", default=1)
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=30)
JOB_REDISPATCH_SECONDS = env.int("JOB_REDISPATCH_SECONDS", default=120)
JOB_REAPER_INTERVAL_SECONDS = env.float("JOB_REAPER_INTERVAL_SECONDS", default=15)
IMPORT_JOB_MAX_ATTEMPTS = env.int("IMPORT_JOB_MAX_ATTEMPTS", default=3)  # runs before a job is parked
SCORING_MAX_ATTEMPTS = env.int("SCORING_MAX_ATTEMPTS", default=3)
# Trades whose labels, reflections and events are composed and written together (new trades' chunks commit
# one by one, so the first reflections are pushed while the engine walks on; see apps.bias.services.scoring).
SCORING_WRITE_CHUNK = env.int("SCORING_WRITE_CHUNK", default=2000)
GATE_MAX_ATTEMPTS = env.int("GATE_MAX_ATTEMPTS", default=3)
# The gate fetches the hourly candles its market check needs (on its worker) before deciding; off = stored only.
GATE_FETCH_CANDLES = env.bool("GATE_FETCH_CANDLES", default=True)

# DRF + OpenAPI
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.core.api.CsrfEnforcedSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsing.BoundedJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI Trading Twin API",
    "DESCRIPTION": "Read-only trade import, behavioural bias labels with evidence, coach reflections.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # No deep links: Swagger UI puts each one inside the operation's toggle button (axe: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
}

# Content Security Policy (django-csp 4): no inline script, no eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],  # CSP3: 'self' also covers ws(s):// to this host and port
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), accelerometer=(), gyroscope=(), magnetometer=(), "
    "payment=(), usb=()"
)

# Rate limits (django-ratelimit on the shared cache)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "apps.core.views.ratelimited"
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)

# Sealed secrets: key-encryption keys as "id:base64key,id2:base64key"; the last one is the newest.
TOKEN_KEKS = env.list("TOKEN_KEKS", default=["local1:bG9jYWwtb25seS1rZXktZW5jcnlwdGlvbi1rZXktMDE="])

# Brokers (base URLs point at the real exchanges in production; the embedded default uses the stub).
COINBASE_API_BASE = env("COINBASE_API_BASE", default="https://api.coinbase.com")
COINBASE_OAUTH_AUTHORIZE_URL = env("COINBASE_OAUTH_AUTHORIZE_URL", default="https://login.coinbase.com/oauth2/auth")
COINBASE_OAUTH_TOKEN_URL = env("COINBASE_OAUTH_TOKEN_URL", default="https://login.coinbase.com/oauth2/token")
COINBASE_OAUTH_REVOKE_URL = env("COINBASE_OAUTH_REVOKE_URL", default="https://login.coinbase.com/oauth2/revoke")
COINBASE_CLIENT_ID = env("COINBASE_CLIENT_ID", default="twin-local-client")
COINBASE_CLIENT_SECRET = env("COINBASE_CLIENT_SECRET", default="twin-local-secret")
COINBASE_REDIRECT_URI = env("COINBASE_REDIRECT_URI", default="http://127.0.0.1:8000/api/brokers/coinbase/connect/callback")
BINANCE_API_BASE = env("BINANCE_API_BASE", default="https://api.binance.com")
BROKER_HTTP_TIMEOUT = env.float("BROKER_HTTP_TIMEOUT", default=10.0)
BROKER_HTTP_MAX_ATTEMPTS = env.int("BROKER_HTTP_MAX_ATTEMPTS", default=5)  # per request, with backoff and jitter
BROKER_BACKOFF_BASE = env.float("BROKER_BACKOFF_BASE", default=0.25)
BROKER_BACKOFF_CAP = env.float("BROKER_BACKOFF_CAP", default=8.0)
BROKER_RETRY_AFTER_CAP = env.float("BROKER_RETRY_AFTER_CAP", default=30.0)
BROKER_CIRCUIT_THRESHOLD = env.int("BROKER_CIRCUIT_THRESHOLD", default=5)  # failures in a row open the circuit
BROKER_CIRCUIT_COOLDOWN = env.float("BROKER_CIRCUIT_COOLDOWN", default=30.0)
COINBASE_OAUTH_SCOPE = env("COINBASE_OAUTH_SCOPE", default="")  # empty: the adapter's read-only default
BINANCE_EXTRA_SYMBOLS = env.list("BINANCE_EXTRA_SYMBOLS", default=[])  # pairs to read beyond the account's assets
MARKET_DATA_SOURCE = env("MARKET_DATA_SOURCE", default="auto")  # auto | coinbase | binance
# Candles of symbols the source above does not list: "ccxt:<exchange id>" (e.g. ccxt:kraken), public endpoints
# only; empty for none. The API base sends that exchange's requests elsewhere (a mirror or the stub exchange).
MARKET_DATA_FALLBACK = env("MARKET_DATA_FALLBACK", default="")
MARKET_DATA_FALLBACK_API_BASE = env("MARKET_DATA_FALLBACK_API_BASE", default="")
CANDLE_CACHE_TTL = env.int("CANDLE_CACHE_TTL", default=600)
STUB_EXCHANGE_EMBEDDED = env.bool("STUB_EXCHANGE_EMBEDDED", default=False)
# Candle requests in flight at once (Coinbase allows ~10 public requests/s per IP; a 429 is retried after
# its Retry-After)
MARKET_DATA_CONCURRENCY = env.int("MARKET_DATA_CONCURRENCY", default=3)

# Outbox relay: a separate `manage.py relay_outbox` process, or (embedded default) a task inside the web process.
OUTBOX_RELAY_EMBEDDED = env.bool("OUTBOX_RELAY_EMBEDDED", default=False)
OUTBOX_RELAY_POLL_INTERVAL = env.float("OUTBOX_RELAY_POLL_INTERVAL", default=0.2)

# Coach reflections: optional OpenAI-compatible provider.
LLM_BASE_URL = env("LLM_BASE_URL", default="")
LLM_API_KEY = env("LLM_API_KEY", default="")
LLM_MODEL = env("LLM_MODEL", default="gpt-4o-mini")
LLM_TIMEOUT = env.float("LLM_TIMEOUT", default=8.0)

# Weekly digest email: console backend by default (the embedded default prints it); production sends
# through SMTP (EMAIL_HOST etc. from the environment). SITE_URL makes the links in the email absolute.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="AI Trading Twin <digest@localhost>")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
DIGEST_MAX_ATTEMPTS = env.int("DIGEST_MAX_ATTEMPTS", default=3)

# Signed /v1 engine API
ENGINE_API_SECRET = env("ENGINE_API_SECRET", default="local-engine-secret-change-me")
ENGINE_API_MAX_BODY = env.int("ENGINE_API_MAX_BODY", default=1024 * 1024)

# Social auth: never keep provider tokens in extra_data (tokens are sealed by the brokers app).
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_STORAGE = "social_django.models.DjangoStorage"

# Logs: structured lines (apps.core.observability.logs) with requestId/userRef/route, secrets redacted.
# LOG_FORMAT=json (one JSON object per line) or console (readable lines; the embedded default).
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOG_USER_PEPPER = env("LOG_USER_PEPPER", default="")  # empty: SESSION_HASH_PEPPER
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "apps.core.observability.logs.formatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# Metrics: GET /metrics with `Authorization: Bearer $METRICS_TOKEN` (404 while unset). Several processes on one
# host: PROMETHEUS_MULTIPROC_DIR (see apps.core.observability.metrics); workers and relays serve METRICS_PORT.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_PORT = env.int("METRICS_PORT", default=0)  # a worker's or relay's own metrics port (0 = none)
# /readyz also requires a relay heartbeat younger than this many seconds, and an outbox lag below this many
# seconds (0 = not checked; the compose file turns both on).
READYZ_RELAY_MAX_AGE = env.float("READYZ_RELAY_MAX_AGE", default=0)
READYZ_OUTBOX_MAX_LAG = env.float("READYZ_OUTBOX_MAX_LAG", default=0)
