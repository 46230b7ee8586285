"""`GET /metrics`: Prometheus text format behind `Authorization: Bearer $METRICS_TOKEN`.

404 while `METRICS_TOKEN` is unset (the endpoint does not exist), 401 for a missing or wrong token."""
from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST

from ..responses import error_response
from .metrics import metrics_render


def metrics(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return error_response(404, "not_found", "Not found.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = error_response(401, "not_authenticated", "A valid metrics token is required.")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_render(include_sources=True), content_type=CONTENT_TYPE_LATEST)
