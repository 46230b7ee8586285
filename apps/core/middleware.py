"""Django middleware: security headers, refusal of unusable request text, JSON for every API error."""
from __future__ import annotations

import logging
import traceback
from urllib.parse import unquote_to_bytes

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse

from .responses import error_response, is_api_path

logger = logging.getLogger(__name__)

# Codes for error responses that something other than our views produced (Django, DRF, decorators).
STATUS_CODES = {
    400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 408: "request_timeout", 409: "conflict",
    411: "length_required", 413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
    422: "unprocessable", 429: "rate_limited", 431: "headers_too_large", 500: "server_error",
    502: "upstream_error", 503: "unavailable", 504: "upstream_timeout",
}
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")
TRACEBACK_FRAMES = 5


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        return response


_POLICY_SETTINGS = {False: "CONTENT_SECURITY_POLICY", True: "CONTENT_SECURITY_POLICY_REPORT_ONLY"}
_policies: dict[bool, str] = {}  # report_only -> the policy of the settings alone (no nonce, no view override)


def _policies_forget(*, setting, **kwargs) -> None:
    if setting in _POLICY_SETTINGS.values():
        _policies.clear()


setting_changed.connect(_policies_forget)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (same headers, same exemptions and nonce rules), with the policy of the settings
    alone built once per process instead of twice per response (enforced and report-only: ~30 µs of CPU a
    request). A response whose request used a nonce, or that carries a policy of its own (`@csp_update`,
    `@csp_replace`, `@csp`), gets its policy built for it as before."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code in (500, 404) and settings.DEBUG:  # Django's debug pages keep theirs
            return response
        for report_only, header, exempt in ((False, HEADER, "_csp_exempt"), (True, HEADER_REPORT_ONLY, "_csp_exempt_ro")):
            policy = self._policy(request, response, report_only=report_only)
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, _POLICY_SETTINGS[report_only], None) or {}).get("EXCLUDE_URL_PREFIXES")
            if not request.path_info.startswith(tuple(prefixes or ())):
                response[header] = policy
        # As django-csp: once the header is written, asking for a nonce is an error, not a silent miss.
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def _policy(self, request: HttpRequest, response: HttpResponse, *, report_only: bool) -> str:
        parts = self.get_policy_parts(request=request, response=response, report_only=report_only)
        if parts.config is not None or parts.update is not None or parts.replace is not None or parts.nonce:
            return build_policy(config=parts.config, update=parts.update, replace=parts.replace, nonce=parts.nonce,
                                report_only=report_only)
        policy = _policies.get(report_only)
        if policy is None:
            policy = _policies[report_only] = build_policy(report_only=report_only)
        return policy


def request_text_is_clean(request: HttpRequest) -> bool:
    """False when the path or the query string carries a NUL character (raw or percent-encoded)."""
    if "\x00" in request.path:
        return False
    return b"\x00" not in unquote_to_bytes(request.META.get("QUERY_STRING", ""))


class RequestTextMiddleware:
    """A path or query string with a NUL character is refused with 400 before any view or query sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request_text_is_clean(request):
            from .views import bad_request

            return bad_request(request)
        return self.get_response(request)


def database_unavailable(exception: BaseException | None) -> bool:
    """True for a database that cannot serve now: no pooled connection within DB_POOL_TIMEOUT, a refused or
    lost connection, too many clients, a cancelled statement, a deadlock. The request may be retried: it
    answers 503 with Retry-After (`views.unavailable_response`), not 500."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exception, (OperationalError, InterfaceError))


def database_unavailable_log(request: HttpRequest, exception: BaseException) -> None:
    logger.warning("Database unavailable on %s %s: %s: %s", request.method, request.path[:200],
                   type(exception).__name__, str(exception)[:300])


def unexpected_error_log(request: HttpRequest, exception: BaseException) -> None:
    """One log record per unexpected failure: the request, the error and its innermost frames only."""
    frames = "".join(traceback.format_tb(exception.__traceback__, limit=-TRACEBACK_FRAMES))
    logger.error("Unhandled %s on %s %s: %s\n%s", type(exception).__name__, request.method,
                 request.path[:200], str(exception)[:500], frames.rstrip())


class ApiErrorMiddleware:
    """On `/api/` and `/v1/` every error is the JSON envelope: exceptions escaping a view become one, and so
    do non-JSON error responses (a 405 from `require_POST`, a plain 404, …) — except a page an API view renders
    on purpose for a browser navigation (an OAuth callback), marked `browser_page = True`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code >= 400 and is_api_path(request.path) and not _is_json(response)
                and not getattr(response, "browser_page", False)):
            return _as_json_error(response)
        return response

    def process_exception(self, request, exception):
        from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
        from django_ratelimit.exceptions import Ratelimited

        from .errors import DomainError, RateLimited
        from .views import ratelimited_response, unavailable_response

        if database_unavailable(exception):  # pages too: their 503 page, not the 500 one
            database_unavailable_log(request, exception)
            return unavailable_response(request)
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
        unexpected_error_log(request, exception)
        response = error_response(500, "server_error", "Something went wrong on our side.")
        response._has_been_logged = True  # logged above; Django's request logger need not log it again
        return response


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


def _as_json_error(response: HttpResponse) -> HttpResponse:
    status = response.status_code
    code = STATUS_CODES.get(status, "error")
    message = {405: "This method is not allowed here."}.get(status, code.replace("_", " ").capitalize() + ".")
    replacement = error_response(status, code, message)
    for name in _KEPT_HEADERS:
        if name in response:
            replacement[name] = response[name]
    for cookie in response.cookies.values():
        replacement.cookies[cookie.key] = cookie
    return replacement
