"""Journal reads, always scoped to one user. Texts are opened here, for their owner only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.bias.selectors import rule_breaches, rule_list
from apps.brokers.services import secret_open
from apps.core.errors import NotFound, ValidationFailed
from apps.core.pagination import clamp_limit, newest_first_page
from apps.core.validation import opaque_id_valid
from apps.trades.selectors import trade_queryset

from .models import TEXT_FIELD, Attachment, EntryType, JournalEntry
from .streaks import RuleStreak, streak_count

STREAK_WINDOW = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class EntryView:
    """An entry with its opened text, for rendering."""

    entry: JournalEntry
    text: str


@dataclass(frozen=True, slots=True)
class EntryPage:
    results: list[EntryView]
    next_cursor: str | None


def entry_text(*, entry: JournalEntry) -> str:
    return secret_open(user_id=entry.user_id, record_id=entry.id, field_name=TEXT_FIELD, blob=entry.text_enc)


def _queryset(user) -> QuerySet[JournalEntry]:
    return (JournalEntry.objects.filter(user=user).select_related("trade")
            .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "id"))))


def entry_get(*, user, entry_id: str, for_update: bool = False) -> JournalEntry:
    """The user's entry; NotFound for anything else (another user's entry included)."""
    entry = None
    if opaque_id_valid(entry_id):
        query = JournalEntry.objects.filter(user=user, id=entry_id)
        entry = (query.select_for_update() if for_update else query.select_related("trade")).first()
    if entry is None:
        raise NotFound("Journal entry not found.")
    return entry


def entry_view_get(*, user, entry_id: str) -> EntryView:
    entry = entry_get(user=user, entry_id=entry_id)
    return EntryView(entry=entry, text=entry_text(entry=entry))


def entry_list(*, user, type: str | None = None, symbol: str | None = None, tag: str | None = None,
               since: datetime | None = None, until: datetime | None = None, search_tokens: list[str] | None = None,
               trade_id: str | None = None, cursor: str | None = None, limit=None) -> EntryPage:
    """The user's entries, newest first, keyset-paged on (created_at, id). `search_tokens` (from
    services.search_tokens_for) keeps the entries holding every one of those words."""
    size = clamp_limit(limit, default=50, maximum=200)
    query = _queryset(user)
    if type:
        if type not in EntryType.values:
            raise ValidationFailed(fields={"type": [f"One of {', '.join(EntryType.values)}."]})
        query = query.filter(type=type)
    if symbol:
        query = query.filter(symbol=symbol.upper())
    if tag:
        query = query.filter(tag_index__contains=f" {tag.strip().lower()} ")
    if since:
        query = query.filter(created_at__gte=since)
    if until:
        query = query.filter(created_at__lt=until)
    if trade_id:
        query = query.filter(trade_id=trade_id)
    for token in search_tokens or []:
        query = query.filter(search_tokens__contains=f" {token} ")
    rows, next_cursor = newest_first_page(query, cursor=cursor, size=size)
    return EntryPage(results=[EntryView(entry=row, text=entry_text(entry=row)) for row in rows], next_cursor=next_cursor)


def entries_for_trade(*, user, trade_id: str) -> list[EntryView]:
    """The user's entries about one trade (newest first), for the trade page."""
    return entry_list(user=user, trade_id=trade_id, limit=50).results


def attachment_get(*, user, attachment_id: str) -> Attachment:
    attachment = None
    if opaque_id_valid(attachment_id):
        attachment = Attachment.objects.filter(user=user, id=attachment_id).first()
    if attachment is None:
        raise NotFound("Attachment not found.")
    return attachment


def _user_zone(user) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(user, "timezone", "") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def rule_streaks(*, user, now: datetime | None = None) -> list[RuleStreak]:
    """Per active rule of the user: current and best run of trading days it held, over the year before `now`,
    days counted in the user's time zone."""
    return [streak for streak, _ in _streaks_and_breaches(user=user, until=now or timezone.now())]


def _streaks_and_breaches(*, user, until: datetime) -> list[tuple[RuleStreak, set]]:
    rules = [rule for rule in rule_list(user=user) if rule.active]
    if not rules:
        return []
    zone = _user_zone(user)
    since = until - STREAK_WINDOW
    trading_days = sorted(set(trade_queryset().filter(user=user, ts__gte=since, ts__lte=until)
                              .annotate(day=TruncDate("ts", tzinfo=zone)).values_list("day", flat=True)))
    broken: dict[str, set] = {}
    for breach in rule_breaches(user_id=user.id, since=since):
        if breach["ts"] <= until:
            broken.setdefault(breach["kind"], set()).add(breach["ts"].astimezone(zone).date())
    out = []
    for rule in rules:
        set_on = rule.created_at.astimezone(zone).date()
        days = broken.get(rule.kind, set())
        out.append((streak_count(kind=rule.kind, trading_days=trading_days, broken_days=days, since=set_on),
                    {day for day in days if day >= set_on}))
    return out


def rule_streaks_for_digest(users: list, since: datetime, until: datetime) -> dict[str, list[dict]]:
    """The streaks /rules/ shows, as of the end of a digest's week (`until`): per user with active rules
    `[{kind, currentDays, bestDays, brokenOn}]`, `brokenOn` the local dates in [since, until) the rule broke."""
    out = {}
    for user in users:
        first, last = since.astimezone(_user_zone(user)).date(), (until - timedelta(microseconds=1)).astimezone(
            _user_zone(user)).date()
        out[user.id] = [{"kind": streak.kind, "currentDays": streak.current, "bestDays": streak.best,
                         "brokenOn": sorted(day.isoformat() for day in broken if first <= day <= last)}
                        for streak, broken in _streaks_and_breaches(user=user, until=until - timedelta(microseconds=1))]
    return out
