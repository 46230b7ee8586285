"""Account reads."""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from .models import Session, User


def session_list(*, user: User) -> QuerySet[Session]:
    """The user's live sessions, newest first."""
    return Session.objects.filter(user=user, expire_date__gt=timezone.now()).order_by("-created_at")
