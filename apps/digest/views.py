"""Server-rendered digest pages (the card is rendered here; static/js only adds the live toast)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.services import user_update_preferences
from apps.core.errors import NotFound, ValidationFailed

from .presentation import card_context
from .selectors import digest_get, digest_list

HISTORY_SIZE = 26


def _page(request: HttpRequest, digest) -> HttpResponse:
    history, _ = digest_list(user=request.user, limit=HISTORY_SIZE)
    context = {"digest": digest, "card": card_context(digest.payload) if digest else None, "history": history}
    return render(request, "digest/page.html", context)


@login_required
def digest_page(request: HttpRequest) -> HttpResponse:
    history, _ = digest_list(user=request.user, limit=1)
    return _page(request, history[0] if history else None)


@login_required
def digest_detail_page(request: HttpRequest, digest_id: str) -> HttpResponse:
    try:
        digest = digest_get(user=request.user, digest_id=digest_id)
    except NotFound as exc:
        raise Http404("Digest not found.") from exc
    return _page(request, digest)


@login_required
@require_POST
def digest_preferences(request: HttpRequest) -> HttpResponse:
    """The account page's weekly digest form: time zone and the email opt-out."""
    try:
        user_update_preferences(user=request.user, timezone=(request.POST.get("timezone") or "").strip(),
                                digest_email=request.POST.get("digest_email") == "1")
    except ValidationFailed as exc:
        for errors in (exc.fields or {}).values():
            for error in errors:
                messages.error(request, error)
        return redirect("/account/#account-digest")
    messages.success(request, "Weekly digest settings saved.")
    return redirect("/account/#account-digest")
