"""Server-rendered gate pages; the data comes from the same selectors as the API, live updates from the socket."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.services import user_update_preferences
from apps.core.errors import ValidationFailed

from . import selectors
from .services import decision_summary


@login_required
@require_GET
def intent_new_page(request: HttpRequest) -> HttpResponse:
    policy = selectors.user_policy(user=request.user)
    rules = [{"kind": kind, "source": "yours" if policy.rule_sources.get(kind) == "yours" else "persona",
              "params": ", ".join(f"{name} {value:g}" if isinstance(value, (int, float)) else f"{name} {value}"
                                  for name, value in params.items())}
             for kind, params in sorted(policy.rules.items())]
    return render(request, "gate/new.html", {"policy": policy, "rules": rules})


@login_required
@require_GET
def intent_history_page(request: HttpRequest) -> HttpResponse:
    page = selectors.intent_list(user=request.user, cursor=request.GET.get("cursor") or None, limit=50)
    rows = [{"intent": intent, "summary": decision_summary(intent.decision),
             "override": getattr(intent, "override", None) if hasattr(intent, "override") else None}
            for intent in page.results]
    return render(request, "gate/history.html", {"rows": rows, "next_cursor": page.next_cursor})


@login_required
@require_POST
def account_persona(request: HttpRequest) -> HttpResponse:
    """The persona picker on /account/ (the same service as PATCH /api/auth/preferences {persona})."""
    try:
        user_update_preferences(user=request.user, persona=request.POST.get("persona", ""))
    except ValidationFailed as exc:
        messages.error(request, " ".join(exc.fields.get("persona", [exc.message])))
    else:
        messages.success(request, "Persona saved.")
    return redirect("/account/")
