"""The daily label rollups (`LabelDay`): rebuilt, set-based, inside the scoring run's transaction."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from apps.core.bulk import rows_insert

from ..models import LabelDay
from ..summary import label_day_rows

FAR_PAST = datetime(1, 1, 2, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def label_days_rebuild(*, user_id: str, since: datetime | None = None, until: datetime | None = None) -> int:
    """Recompute the user's rollup rows of every UTC day from `since`'s day on (every day without it) through
    `until`'s day (every later day without it) from the tags, trades and positions as they are now: a
    delete, two grouped reads and one bulk write, whatever the number of trades. Call inside the
    transaction that changed them. -> rows written."""
    stale = LabelDay.objects.filter(user_id=user_id)
    ranges = None
    if since is not None or until is not None:
        start = FAR_PAST if since is None else datetime.combine(since.astimezone(UTC).date(), time.min, tzinfo=UTC)
        end = (FAR_FUTURE if until is None
               else datetime.combine(until.astimezone(UTC).date() + timedelta(days=1), time.min, tzinfo=UTC))
        stale = stale.filter(day__gte=start.date(), day__lt=end.date())
        ranges = [(start, end)]
    stale.delete()
    rows = [(user_id, *row) for row in label_day_rows(user_id=user_id, ranges=ranges)]
    return rows_insert(LabelDay, ("user_id", "day", "symbol", "label", "trades", "with_pnl", "realized_pnl"),
                       rows)[1]
