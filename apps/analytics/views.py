"""Server-rendered pages; figures come from the JSON endpoints through static/js (strict CSP)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import exit_labels


@login_required
def analytics_page(request: HttpRequest) -> HttpResponse:
    return render(request, "analytics/performance.html", {"labels": exit_labels(user=request.user)})
