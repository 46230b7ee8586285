"""Server-rendered pages; the figures come from the JSON endpoints through static/js (strict CSP)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.bias.services.rule_checks import rule_kinds_describe


@login_required
def rules_page(request: HttpRequest) -> HttpResponse:
    return render(request, "simulations/rules.html", {"kinds": rule_kinds_describe()})
