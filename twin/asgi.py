"""ASGI entry point: HTTP through Django (`apps.core.asgi.DjangoHttpHandler`: a request's middleware and view run
in one go on its thread), `/ws/...` through Channels with origin and session checks.

In front of both: the client's address from the trusted proxy hops (`apps.core.asgi.ProxyHeadersMiddleware`);
for HTTP, the request body limit (`BodyLimitMiddleware`) and `WEB_THREADS` long-lived threads that run the
requests' Django part (`RequestThreadsMiddleware`; default: `DB_POOL_MAX_SIZE`, else 8). Daphne's HTTP server answers over-long request lines
with 414 and over-long header lines with 431.

In the embedded default (`OUTBOX_RELAY_EMBEDDED = True`) the outbox relay runs inside this process: it is
started as a task of the server's event loop on the first connection, so live events need no extra process.

The request and event contracts (`apps.core.contracts`) are loaded as the process starts, not on the first
request that checks a body.
"""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twin.settings.local")
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from apps.core.asgi import (  # noqa: E402
    BodyLimitMiddleware,
    DjangoHttpHandler,
    ProxyHeadersMiddleware,
    RequestThreadsMiddleware,
    http_line_limits_install,
)
from apps.core.contracts import contracts_preload  # noqa: E402
from apps.core.jobs import reaper_embedded_start  # noqa: E402
from apps.events.relay import relay_embedded_start  # noqa: E402
from apps.events.sockets import SameOriginValidator  # noqa: E402
from twin.routing import websocket_urlpatterns  # noqa: E402

http_line_limits_install()
contracts_preload()  # the validator and the schemas, before the first request that checks a body needs them
django_asgi_app = DjangoHttpHandler()

# Threads that run the requests' synchronous part (Django views, middleware, ORM), reused from request to
# request; with the production pool, as many as it has connections.
REQUEST_THREADS = int(os.environ.get("WEB_THREADS") or getattr(settings, "DB_POOL_MAX_SIZE", 0) or 8)

router = ProxyHeadersMiddleware(ProtocolTypeRouter(
    {
        "http": RequestThreadsMiddleware(BodyLimitMiddleware(django_asgi_app), size=REQUEST_THREADS),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
))


async def application(scope, receive, send):
    if settings.OUTBOX_RELAY_EMBEDDED and scope["type"] in ("http", "websocket"):
        relay_embedded_start()
    if settings.JOBS_IN_PROCESS and scope["type"] in ("http", "websocket"):
        reaper_embedded_start()  # no beat in the embedded default: the job reaper runs on a thread here
    return await router(scope, receive, send)
