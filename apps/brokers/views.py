"""Connections page: server-rendered; actions go through the brokers API (static/js/connections.js)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors

LINK_MESSAGES = {"coinbase": "Coinbase is connected.", "binance": "Your Binance read-only key is connected."}


@require_GET
@login_required
def connections_page(request: HttpRequest) -> HttpResponse:
    connections = selectors.connection_list(user=request.user)
    return render(request, "brokers/connections.html", {
        "connections": connections,
        "active_brokers": {c.broker for c in connections if c.status != "revoked"},
        "linked_message": LINK_MESSAGES.get(request.GET.get("linked", "")),
    })
