"""The journal page: a timeline of the user's entries with filters and search (same selectors as the API)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.core.errors import NotFound, ValidationFailed
from apps.gate.selectors import intent_get
from apps.trades.selectors import trade_get

from . import selectors, services
from .models import EntryType

EMOTIONS = ("calm", "confident", "anxious", "greedy", "fearful", "frustrated")


@login_required
@require_GET
def journal_page(request: HttpRequest) -> HttpResponse:
    chosen = {name: (request.GET.get(name) or "").strip() for name in ("type", "tag", "q")}
    problem = ""
    try:
        tokens = services.search_query_tokens(user_id=request.user.id, q=chosen["q"]) if chosen["q"] else None
        page = selectors.entry_list(user=request.user, type=chosen["type"] if chosen["type"] in EntryType.values else None,
                                    tag=chosen["tag"] or None, search_tokens=tokens,
                                    cursor=request.GET.get("cursor") or None, limit=50)
    except ValidationFailed as exc:
        problem, page = exc.message, selectors.EntryPage(results=[], next_cursor=None)
    rows = [{"view": view, "emotions": [(name, view.entry.emotions[name]) for name in EMOTIONS
                                         if name in (view.entry.emotions or {})]}
            for view in page.results]
    about = _about(request)
    return render(request, "journal/timeline.html", {"about": about, "emotion_names": EMOTIONS,"rows": rows, "next_cursor": page.next_cursor, "chosen": chosen,
                                                     "types": EntryType.choices, "problem": problem})


def _about(request: HttpRequest) -> dict:
    """What the entry form is opened from: `?intent=<id>` (a pre entry) or `?trade=<id>` (a post entry)."""
    try:
        if request.GET.get("intent"):
            intent = intent_get(user=request.user, intent_id=request.GET["intent"])
            return {"type": "pre", "intent": intent, "label": f"{intent.symbol} · {intent.direction} · {intent.timeframe}"}
        if request.GET.get("trade"):
            trade = trade_get(user=request.user, trade_id=request.GET["trade"])
            return {"type": "post", "trade": trade, "label": f"{trade.side} {trade.symbol}"}
    except NotFound:
        pass
    return {"type": "note"}
