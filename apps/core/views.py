"""Project-wide views: health, readiness, and error pages that answer JSON on API paths."""
from __future__ import annotations

import sys

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from . import selectors
from .responses import error_response, is_api_path

DEFAULT_RETRY_AFTER = 60


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    checks = selectors.readiness_checks()
    down = sorted(name for name, ok in checks.items() if not ok)
    body = {"status": "ok" if not down else "unavailable", "checks": checks, "down": down}
    return JsonResponse(body, status=200 if not down else 503)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if is_api_path(request.path):
        return error_response(403, "csrf_failed", f"CSRF check failed: {reason or 'token missing or wrong'}.")
    return render(request, "errors/403_csrf.html", {"reason": reason}, status=403)


def ratelimited_response(request: HttpRequest, *, retry_after: int = DEFAULT_RETRY_AFTER) -> HttpResponse:
    headers = {"Retry-After": str(retry_after)}
    if is_api_path(request.path):
        return error_response(429, "rate_limited", f"Too many requests. Try again in {retry_after} s.",
                              headers=headers)
    response = render(request, "errors/429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(503, "unavailable", "A service we depend on is unavailable. Try again shortly.",
                              headers={"Retry-After": "30"})
    try:
        response = render(request, "errors/503.html", status=503)
    except DatabaseError:  # the page's layout asks for the session's user, and the database is what is down
        response = HttpResponse("Temporarily unavailable. Please try again in a moment.\n", status=503,
                                content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "30"
    return response


def ratelimited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """RATELIMIT_VIEW for django-ratelimit's own `block=True` decorator."""
    return ratelimited_response(request, retry_after=getattr(exception, "retry_after", DEFAULT_RETRY_AFTER))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    too_big = isinstance(exception, RequestDataTooBig)
    if is_api_path(request.path):
        if too_big:
            return error_response(413, "payload_too_large", "The request body is too large.")
        return error_response(400, "bad_request", "The request could not be understood.")
    status = 413 if too_big else 400
    return render(request, "errors/400.html", {"too_big": too_big}, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(403, "forbidden", "You are not allowed to do that.")
    return render(request, "errors/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(404, "not_found", "Not found.")
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: also reached by exceptions raised in middleware, outside any view's error handling."""
    from .middleware import database_unavailable

    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    if is_api_path(request.path):
        return error_response(500, "server_error", "Something went wrong on our side.")
    return render(request, "errors/500.html", status=500)
