"""One middleware, first in the stack: the request id, the log context and the HTTP metrics.

- `X-Request-ID` from the proxy is kept when well-formed, otherwise one is made; it is on the response.
- While the request runs, every log line carries `requestId`, `route` (the URL pattern, not the path) and,
  once the session is read, `userRef` (peppered hash of the user id).
- Each answer counts in `twin_http_requests_total{method,route,status}` and the latency histogram.
"""
from __future__ import annotations

import time

from django.http import HttpRequest

from .context import REQUEST_ID_HEADER, context_bind, context_clear, request_id_accept, user_ref
from .metrics import HTTP_LATENCY, HTTP_REQUESTS

UNMATCHED = "unmatched"


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.route or match.view_name or UNMATCHED


class RequestObservabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        started = time.perf_counter()
        request_id = request_id_accept(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Cleared when the next request starts, not when this one ends: Django logs a 4xx/5xx answer
        # (`django.request`) after every middleware has returned, and that line belongs to this request.
        context_clear()
        context_bind(requestId=request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        route = route_of(request)
        HTTP_REQUESTS.labels(method=request.method, route=route, status=str(response.status_code)).inc()
        HTTP_LATENCY.labels(method=request.method, route=route).observe(time.perf_counter() - started)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        """Runs after every middleware has seen the request: the route is resolved and the user is known."""
        user = getattr(request, "user", None)
        reference = user_ref(user.pk) if user is not None and user.is_authenticated else None
        context_bind(route=route_of(request), userRef=reference)
        return None
