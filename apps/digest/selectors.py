"""Digest reads, always scoped to one user. Only built digests (a payload stored) are shown."""
from __future__ import annotations

from django.db.models import Q

from apps.core.errors import NotFound, ValidationFailed
from apps.core.pagination import clamp_limit, cursor_datetime, cursor_decode, cursor_encode

from .models import Digest


def _built(user):
    return Digest.objects.filter(user=user, built_at__isnull=False)


def digest_latest(*, user) -> Digest:
    digest = _built(user).order_by("-period_end", "-id").first()
    if digest is None:
        raise NotFound("No weekly digest yet.", code="no_digest")
    return digest


def digest_get(*, user, digest_id: str) -> Digest:
    digest = _built(user).filter(id=digest_id).first()
    if digest is None:
        raise NotFound("Digest not found.")
    return digest


def digest_list(*, user, cursor: str | None = None, limit: int | str | None = None) -> tuple[list[Digest], str | None]:
    """The user's digests, newest week first; keyset on (periodEnd, id)."""
    size = clamp_limit(limit, default=20, maximum=100)
    queryset = _built(user)
    if cursor:
        values = cursor_decode(cursor)
        if len(values) != 2:
            raise ValidationFailed("The cursor is not valid.", code="invalid_cursor", fields={"cursor": ["Not valid."]})
        end, last_id = cursor_datetime(values[0]), values[1]
        queryset = queryset.filter(Q(period_end__lt=end) | Q(period_end=end, id__lt=last_id))
    rows = list(queryset.order_by("-period_end", "-id")[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = cursor_encode([rows[-1].period_end.isoformat(), rows[-1].id])
    return rows, next_cursor
