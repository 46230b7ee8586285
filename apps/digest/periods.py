"""Digest weeks: Monday 00:00 to the next Monday 00:00 on the user's wall clock, stored as UTC instants.

A week that contains a daylight-saving change is 167 or 169 hours long; each Monday midnight is resolved in
the zone on its own date (``zoneinfo``), so the boundaries are always local midnights."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from apps.core.errors import ValidationFailed

WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    monday: date  # local date of the Monday that starts the week
    zone: str

    @cached_property
    def start(self) -> datetime:
        return _local_midnight(self.monday, self.zone)

    @cached_property
    def end(self) -> datetime:
        return _local_midnight(self.monday + timedelta(days=7), self.zone)

    @property
    def dates_start(self) -> datetime:
        """Midnight UTC of the week's Monday date: with `dates_end`, the UTC days whose dates are this week's."""
        return datetime.combine(self.monday, time(0), tzinfo=UTC)

    @property
    def dates_end(self) -> datetime:
        return self.dates_start + timedelta(days=7)

    @property
    def label(self) -> str:
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def previous(self) -> Week:
        return Week(monday=self.monday - timedelta(days=7), zone=self.zone)

    def day_of(self, moment: datetime) -> date:
        """The local calendar date of an instant."""
        return moment.astimezone(ZoneInfo(self.zone)).date()


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def week_containing(*, moment: datetime, zone: str) -> Week:
    local = moment.astimezone(ZoneInfo(zone)).date()
    return Week(monday=local - timedelta(days=local.weekday()), zone=zone)


def week_last_finished(*, now: datetime, zone: str) -> Week:
    """The most recent week that has ended on the user's clock at `now`."""
    return week_containing(moment=now, zone=zone).previous


def week_parse(*, value: str, zone: str) -> Week:
    """An ISO week such as "2026-W47" in `zone`; ValidationFailed (field `week`) otherwise."""
    match = WEEK_PATTERN.match(value or "")
    if match is None:
        raise ValidationFailed("Use an ISO week such as 2026-W47.", fields={"week": ["Use YYYY-Www."]})
    try:
        monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise ValidationFailed("That week does not exist.", fields={"week": ["No such ISO week."]}) from exc
    return Week(monday=monday, zone=zone)
