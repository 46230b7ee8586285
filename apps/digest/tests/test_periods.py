"""Week boundaries: Monday 00:00 to the next Monday 00:00 on the user's clock, across zones and DST changes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.core.errors import ValidationFailed
from apps.digest.periods import week_containing, week_last_finished, week_parse


@pytest.mark.parametrize(("zone", "label", "start", "end", "hours"), [
    ("UTC", "2026-W47", datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC), 168),
    ("Europe/Paris", "2026-W47", datetime(2026, 11, 15, 23, tzinfo=UTC), datetime(2026, 11, 22, 23, tzinfo=UTC), 168),
    # Paris springs forward on Sunday 29 March 2026 (02:00 → 03:00): a 167-hour week
    ("Europe/Paris", "2026-W13", datetime(2026, 3, 22, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC), 167),
    # Paris falls back on Sunday 25 October 2026: a 169-hour week
    ("Europe/Paris", "2026-W43", datetime(2026, 10, 18, 22, tzinfo=UTC), datetime(2026, 10, 25, 23, tzinfo=UTC), 169),
    # New York falls back on Sunday 1 November 2026
    ("America/New_York", "2026-W44", datetime(2026, 10, 26, 4, tzinfo=UTC), datetime(2026, 11, 2, 5, tzinfo=UTC), 169),
    # Auckland springs forward on Sunday 27 September 2026 (UTC+12 → UTC+13)
    ("Pacific/Auckland", "2026-W39", datetime(2026, 9, 20, 12, tzinfo=UTC), datetime(2026, 9, 27, 11, tzinfo=UTC), 167),
    # Kolkata has a half-hour offset and no DST
    ("Asia/Kolkata", "2026-W01", datetime(2025, 12, 28, 18, 30, tzinfo=UTC), datetime(2026, 1, 4, 18, 30, tzinfo=UTC), 168),
])
def test_iso_week_boundaries_are_local_midnights(zone, label, start, end, hours):
    week = week_parse(value=label, zone=zone)

    assert (week.start, week.end, week.label) == (start, end, label)
    assert week.end - week.start == timedelta(hours=hours)
    assert week.start.tzinfo is UTC and week.end.tzinfo is UTC


def test_the_last_finished_week_turns_over_at_the_users_midnight():
    # 22 Nov 2026 22:59:59 UTC is Sunday 23:59:59 in Paris; one second later it is Monday there
    before, after = datetime(2026, 11, 22, 22, 59, 59, tzinfo=UTC), datetime(2026, 11, 22, 23, tzinfo=UTC)

    assert week_last_finished(now=before, zone="Europe/Paris").label == "2026-W46"
    assert week_last_finished(now=after, zone="Europe/Paris").label == "2026-W47"
    assert week_last_finished(now=after, zone="UTC").label == "2026-W46"
    assert week_containing(moment=after, zone="America/Los_Angeles").label == "2026-W47"


def test_a_week_is_the_one_after_its_previous_one():
    week = week_parse(value="2026-W01", zone="Europe/Paris")

    assert week.previous.label == "2025-W52"
    assert week.previous.end == week.start


@pytest.mark.parametrize("value", ["2026-47", "2026-W1", "W47", "", "2026-W54", "2026-W00"])
def test_a_malformed_or_impossible_week_is_refused(value):
    with pytest.raises(ValidationFailed) as caught:
        week_parse(value=value, zone="UTC")
    assert list(caught.value.fields) == ["week"]
