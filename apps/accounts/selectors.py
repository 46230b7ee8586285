"""Account reads."""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from .models import Session, User


def session_list(*, user: User) -> QuerySet[Session]:
    """The user's live sessions, newest first."""
    return Session.objects.filter(user=user, expire_date__gt=timezone.now()).order_by("-created_at")


def session_is_live(*, session_key: str, user_id) -> bool:
    """Whether the session still exists, belongs to `user_id` and has not expired (logout deletes it)."""
    return Session.objects.filter(session_key=session_key, user_id=user_id, expire_date__gt=timezone.now()).exists()
