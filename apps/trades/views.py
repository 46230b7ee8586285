"""Server-rendered import and upload pages; the work happens through the JSON API from static/js."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors
from .imports import API_BROKERS


@require_GET
@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    connections = [c for c in selectors.broker_connections_for(user=request.user) if c.broker in API_BROKERS]
    jobs = selectors.import_jobs_recent(user=request.user, limit=10)
    return render(request, "trades/import.html", {"connections": connections, "jobs": jobs})


@require_GET
@login_required
def upload_page(request: HttpRequest) -> HttpResponse:
    return render(request, "trades/upload.html", {
        "mappings": selectors.column_mappings_for(user=request.user),
        "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        "max_bytes": settings.UPLOAD_MAX_BYTES,
        "jobs": [j for j in selectors.import_jobs_recent(user=request.user, limit=20) if j.source == "upload"][:5],
    })
