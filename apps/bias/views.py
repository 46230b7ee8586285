"""Server-rendered pages; data comes from the JSON endpoints through static/js (strict CSP)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from apps.core.errors import NotFound, ValidationFailed
from apps.core.readcache import read_through

from .engine import LABELS
from .positions_api import PositionFilterSerializer
from .round_trips import position_round_trips
from .selectors import trade_bias_get, trade_grid_brokers
from .services.rules import rule_calibration_set_active


@login_required
def trades_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    brokers = read_through(user_id=user.pk, name="bias.grid-brokers", params=(),
                           build=lambda: trade_grid_brokers(user=user))
    return render(request, "trades/list.html", {"labels": LABELS, "brokers": brokers})


@login_required
def positions_page(request: HttpRequest) -> HttpResponse:
    """Positions (round trips) beside the fills grid; the filters are a plain GET form, pages follow a cursor."""
    form = PositionFilterSerializer(data=request.GET)
    trips, next_cursor, error = [], None, None
    if form.is_valid():
        try:
            trips, next_cursor = position_round_trips(user=request.user, **form.filters())
        except ValidationFailed as exc:
            error = exc.message
    else:
        error = "Some filters were not understood: " + ", ".join(sorted(form.errors)) + "."
    query = request.GET.copy()
    query.pop("cursor", None)
    if next_cursor:
        query["cursor"] = next_cursor
    return render(request, "trades/positions.html", {
        "trips": trips, "error": error, "labels": LABELS, "brokers": trade_grid_brokers(user=request.user),
        "chosen": request.GET, "statuses": (("all", "Open and closed"), ("closed", "Closed"), ("open", "Open")),
        "next_url": f"?{query.urlencode()}" if next_cursor else None, "paged": "cursor" in request.GET})


def _trade_page(*, user, trade_id: str) -> dict:
    """The trade page's part of one trade's bias answer: the answer without the labels, and the labels'
    evidence as the page shows it (`trades/_evidence.html`), formatted once per trade and data version
    instead of condition by condition on every view."""
    bias = trade_bias_get(user=user, trade_id=trade_id)
    evidence = render_to_string("trades/_evidence.html", {"bias": bias})
    return {"bias": {key: value for key, value in bias.items() if key != "tags"}, "evidence": evidence}


@login_required
def trade_detail_page(request: HttpRequest, trade_id: str) -> HttpResponse:
    user = request.user
    try:
        page = read_through(user_id=user.pk, name="bias.trade-page", params=(trade_id,),
                            build=lambda: _trade_page(user=user, trade_id=trade_id))
    except NotFound as exc:
        raise Http404("Trade not found.") from exc
    return render(request, "trades/detail.html", {**page, "trade": page["bias"]["trade"]})


@login_required
def coach_page(request: HttpRequest) -> HttpResponse:
    return render(request, "coach.html")


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard.html")


def labels_page(request: HttpRequest) -> HttpResponse:
    """What each label means, in plain words (docs/bias-engine.md); every label chip links here."""
    return render(request, "bias/labels.html")


@login_required
@require_http_methods(["GET", "POST"])
def calibration_page(request: HttpRequest) -> HttpResponse:
    """The lines the labels use: each default beside your calibrated value; apply them or go back."""
    if request.method == "POST":
        action = request.POST.get("calibration")
        back = request.POST.get("next")
        back = back if back in ("/rules/", "/rules/calibration/") else "/rules/calibration/"
        if action not in ("apply", "revert"):
            messages.error(request, "Choose to apply your calibrated lines or go back to the defaults.")
            return redirect(back)
        try:
            rule_calibration_set_active(user=request.user, active=action == "apply")
        except NotFound as exc:
            messages.error(request, str(exc))
            return redirect(back)
        messages.success(request, "Your calibrated lines are applied to new labels." if action == "apply" else
                         "The default lines are back for new labels.")
        return redirect(back)
    return render(request, "bias/calibration.html")
