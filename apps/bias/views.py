"""Server-rendered pages; data comes from the JSON endpoints through static/js (strict CSP)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.errors import NotFound

from .engine import LABELS
from .selectors import trade_bias_get


@login_required
def trades_page(request: HttpRequest) -> HttpResponse:
    return render(request, "trades/list.html", {"labels": LABELS})


@login_required
def trade_detail_page(request: HttpRequest, trade_id: str) -> HttpResponse:
    try:
        bias = trade_bias_get(user=request.user, trade_id=trade_id)
    except NotFound as exc:
        raise Http404("Trade not found.") from exc
    return render(request, "trades/detail.html", {"bias": bias, "trade": bias["trade"]})


@login_required
def coach_page(request: HttpRequest) -> HttpResponse:
    return render(request, "coach.html")


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard.html")
