"""The week's disposition figure reads stored sale days (UTC days, shared with the bias summary): each sale
day belongs to exactly one digest week, the local week holding its date, whatever the user's zone."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from apps.accounts.testing import UserFactory
from apps.bias.models import DispositionDay
from apps.digest.periods import week_parse
from apps.digest.services import digests_week_data

pytestmark = pytest.mark.django_db

DAYS = [date(2026, 11, 15), date(2026, 11, 16), date(2026, 11, 22), date(2026, 11, 23)]  # Sun, Mon, Sun, Mon


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati", "UTC"])
def test_each_sale_day_counts_in_the_one_week_holding_its_date(zone):
    user = UserFactory(timezone=zone)
    for k, day in enumerate(DAYS):
        DispositionDay.objects.create(user=user, day=day, realized_gains=10 ** k, paper_losses=1)
    weeks = {label: week_parse(value=label, zone=zone) for label in ("2026-W46", "2026-W47", "2026-W48")}

    figures = {label: digests_week_data(users=[user], week=week)[user.id].disposition for label, week in weeks.items()}

    assert {label: stat["saleDays"] for label, stat in figures.items()} == {"2026-W46": 1, "2026-W47": 2,
                                                                          "2026-W48": 1}
    assert figures["2026-W47"]["realizedGains"] == 10 + 100  # 16 and 22 Nov
    assert weeks["2026-W47"].dates_end - weeks["2026-W47"].dates_start == timedelta(days=7)
