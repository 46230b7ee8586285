"""Security headers Django/django-csp do not set, and JSON errors for API paths."""
import logging

from django.conf import settings

from .responses import error_response, is_api_path

logger = logging.getLogger(__name__)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        return response


class ApiErrorMiddleware:
    """An exception escaping an API view becomes a JSON 500, never an HTML page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
        from django_ratelimit.exceptions import Ratelimited

        from .errors import DomainError, RateLimited
        from .views import ratelimited_response

        if isinstance(exception, RateLimited):
            return ratelimited_response(request, retry_after=exception.retry_after)
        if isinstance(exception, Ratelimited):
            return ratelimited_response(request)
        if not is_api_path(request.path):
            return None

        if isinstance(exception, DomainError):
            return error_response(exception.status, exception.code, exception.message, fields=exception.fields)
        if isinstance(exception, RequestDataTooBig):
            return error_response(413, "payload_too_large", "The request body is too large.")
        if isinstance(exception, SuspiciousOperation):
            return error_response(400, "bad_request", "The request could not be understood.")
        logger.exception("Unhandled API error", exc_info=exception)
        return error_response(500, "server_error", "Something went wrong on our side.")
