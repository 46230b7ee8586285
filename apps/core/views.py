"""Project-wide views: health, readiness, and error pages that answer JSON on API paths."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from . import selectors
from .responses import error_response, is_api_path


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


def ratelimited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(429, "rate_limited", "Too many requests. Try again later.",
                              headers={"Retry-After": "60"})
    response = render(request, "errors/429.html", status=429)
    response["Retry-After"] = "60"
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(404, "not_found", "Not found.")
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(500, "server_error", "Something went wrong on our side.")
    return render(request, "errors/500.html", status=500)
