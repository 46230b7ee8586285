"""Rate limits on the shared cache (django-ratelimit), answered as 429 with an exact `Retry-After`.

    class LoginApi(APIView):
        @rate_limit(group="auth", key="ip", rate="10/m")
        def post(self, request): ...

    @rate_limit(group="auth", key="ip", rate="10/m")
    def login_page(request): ...

On an API view the limit raises `RateLimited` (rendered by the DRF exception handler); on a page it
answers the 429 page. Either way `Retry-After` is the number of seconds until the window resets.

Failures can be limited per target instead of per caller (failed logins per account, from any address):

    with failures_limited(request, group="auth-account", key_value=email, rate="10/15m", failure=Unauthenticated):
        user_login(...)

Client addresses (`key="ip"`) are `REMOTE_ADDR`, which `apps.core.asgi.ProxyHeadersMiddleware` sets from the
trusted proxy hops (TRUSTED_PROXY_COUNT), so a client cannot choose its own by sending X-Forwarded-For.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from .errors import RateLimited, ServiceUnavailable

logger = logging.getLogger(__name__)

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def rate_limit_check(request, *, group: str, key: str | Callable, rate: str,
                     methods: tuple[str, ...] = UNSAFE_METHODS) -> None:
    """Count this request against `group`; raise RateLimited (with retry_after) once over the rate.

    Fails closed: when the shared cache cannot count, the request is refused with 503.
    """
    try:
        usage = get_usage(request, group=group, key=key, rate=rate, method=list(methods), increment=True)
    except Exception as exc:
        logger.exception("Rate limiter could not reach the cache (group %s)", group)
        raise ServiceUnavailable() from exc
    if usage is None or not usage["should_limit"]:
        return
    raise RateLimited(retry_after=max(1, int(usage["time_left"])))


def _failure_usage(request, *, group: str, key_value: str, rate: str, increment: bool) -> dict | None:
    try:
        return get_usage(request, group=group, key=lambda _group, _request: key_value, rate=rate,
                         method=get_usage.ALL, increment=increment)
    except Exception as exc:
        logger.exception("Rate limiter could not reach the cache (group %s)", group)
        raise ServiceUnavailable() from exc


@contextmanager
def failures_limited(request, *, group: str, key_value: str, rate: str,
                     failure: type[BaseException] = Exception) -> Iterator[None]:
    """Refuse (RateLimited) once `key_value` has had `rate`'s number of failures in the current window;
    a `failure` raised inside the block counts one more (and propagates)."""
    usage = _failure_usage(request, group=group, key_value=key_value, rate=rate, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        raise RateLimited(retry_after=max(1, int(usage["time_left"])))
    try:
        yield
    except failure:
        _failure_usage(request, group=group, key_value=key_value, rate=rate, increment=True)
        raise


def rate_limit(*, group: str, key: str | Callable = "ip", rate: str,
               methods: tuple[str, ...] = UNSAFE_METHODS):
    """Decorator for function views and for view methods (DRF APIView or Django View)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            request = args[0] if _is_request(args[0]) else args[1]
            try:
                rate_limit_check(request, group=group, key=key, rate=rate, methods=methods)
            except RateLimited as exc:
                if _is_drf_request(request):
                    raise
                from .views import ratelimited_response

                return ratelimited_response(request, retry_after=exc.retry_after)
            except ServiceUnavailable:
                if _is_drf_request(request):
                    raise
                from .views import unavailable_response

                return unavailable_response(request)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _is_drf_request(obj) -> bool:
    from rest_framework.request import Request

    return isinstance(obj, Request)


def _is_request(obj) -> bool:
    return isinstance(obj, HttpRequest) or _is_drf_request(obj)
