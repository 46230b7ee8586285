"""DRF glue: session auth that always enforces CSRF, and one error shape for every failure."""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from .errors import DomainError
from .middleware import database_unavailable, database_unavailable_log, unexpected_error_log

logger = logging.getLogger(__name__)


class CsrfEnforcedSessionAuthentication(SessionAuthentication):
    """Session auth; CSRF is checked on unsafe methods even for anonymous requests."""

    def authenticate(self, request):
        user = getattr(request._request, "user", None)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            self.enforce_csrf(request)
        if not user or not user.is_active:
            return None
        return (user, None)


def flatten_fields(detail) -> dict:
    """DRF validation errors as `{field: [message, …]}` (nested serializers stay nested)."""
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            if isinstance(value, (list, tuple)):
                out[key] = [str(v) if not isinstance(v, (dict, list)) else v for v in value]
            elif isinstance(value, dict):
                out[key] = flatten_fields(value)
            else:
                out[key] = [str(value)]
        return out
    return {"non_field_errors": [str(d) for d in detail]} if isinstance(detail, list) else {}


def _body(code: str, message: str, fields: dict | None = None) -> dict:
    error: dict = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        headers = {}
        if getattr(exc, "retry_after", None) is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return Response(exc.as_dict(), status=exc.status, headers=headers)
    if isinstance(exc, Ratelimited):
        return Response(_body("rate_limited", "Too many requests. Try again later."), status=429,
                        headers={"Retry-After": "60"})
    if isinstance(exc, RequestDataTooBig):
        return Response(_body("payload_too_large", "The request body is too large."), status=413)
    if isinstance(exc, SuspiciousOperation):
        return Response(_body("bad_request", "The request could not be understood."), status=400)
    if isinstance(exc, Http404):
        return Response(_body("not_found", "Not found."), status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(_body("forbidden", "You are not allowed to do that."), status=403)
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_fields(exc.detail)
        return Response(_body("invalid", "Some fields are not valid.", fields), status=400)
    if isinstance(exc, exceptions.NotAuthenticated):
        return Response(_body("not_authenticated", "Log in first."), status=401)
    if isinstance(exc, exceptions.AuthenticationFailed):
        return Response(_body("authentication_failed", str(exc.detail)), status=exc.status_code)
    if isinstance(exc, exceptions.PermissionDenied):
        message = str(exc.detail)
        code = "csrf_failed" if "CSRF" in message else "forbidden"
        return Response(_body(code, message), status=403)
    if isinstance(exc, exceptions.Throttled):
        return Response(_body("rate_limited", str(exc.detail)), status=429,
                        headers={"Retry-After": str(int(exc.wait or 60))})
    if isinstance(exc, exceptions.APIException):
        code = exc.default_code if isinstance(exc.default_code, str) else "error"
        return Response(_body(code, str(exc.detail)), status=exc.status_code)
    request = context.get("request")
    if database_unavailable(exc):
        if request is not None:
            database_unavailable_log(request, exc)
        return Response(_body("unavailable", "A service we depend on is unavailable. Try again shortly."),
                        status=503, headers={"Retry-After": "30"})
    if request is not None:
        unexpected_error_log(request, exc)
    else:
        logger.error("Unhandled %s in an API view: %s", type(exc).__name__, exc)
    response = Response(_body("server_error", "Something went wrong on our side."),
                        status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    response._has_been_logged = True  # logged above; Django's request logger need not log it again
    return response

