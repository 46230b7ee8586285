"""The payload against a hand-computed week (see conftest.week_book).

FIFO on BTC-USD: S1 sells 1.5 → 1 from B1 (bought at 100, fee 1) and 0.5 from B2 (110, no fee); S1's fee 3
is spread over its 1.5 units (2 per unit).
  piece B1: 1 × (120 − 100) − 1 × 1 − 1 × 2 = 17 → labels PANIC (sale) + FOMO (opener)
  piece B2: 0.5 × (120 − 110) − 0 − 0.5 × 2 = 4  → PANIC + NONE
  S3 sells the last 0.5 of B2: 0.5 × (100 − 110) = −5 → NONE
ETH-EUR: S2 sells B3's 2 at 45 against 50: −10 EUR → REVENGE + DISCIPLINE.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from apps.bias.selectors import coach_text_violations
from apps.bias.services.reflections import coach_habits
from apps.digest.narrative import (
    NO_TRADES,
    llm_summary,
    narrative_template,
    payload_numbers,
    suggestion_compose,
    week_index,
)
from apps.digest.periods import week_parse
from apps.digest.services import digest_payload_build

pytestmark = pytest.mark.django_db

W47 = week_parse(value="2026-W47", zone="UTC")


def test_figures_match_the_hand_computed_week(user, week_book):
    payload = digest_payload_build(user=user, week=W47)

    assert (payload["week"], payload["periodStart"], payload["periodEnd"]) == (
        "2026-W47", "2026-11-16T00:00:00+00:00", "2026-11-23T00:00:00+00:00")
    assert payload["trades"] == 5
    assert payload["labels"] == {"DISCIPLINE": 1, "NONE": 2, "PANIC": 1, "REVENGE": 1}
    assert payload["pnlByLabel"] == {"DISCIPLINE": {"EUR": "-10"}, "FOMO": {"USD": "17"}, "NONE": {"USD": "-1"},
                                     "PANIC": {"USD": "21"}, "REVENGE": {"EUR": "-10"}}
    assert payload["realizedPnl"] == {"EUR": "-10", "USD": "16"}
    assert (payload["closedTrades"], payload["winningTrades"], payload["winRate"]) == (3, 1, 0.3333)
    assert payload["largestWin"] == {"USD": {"tradeId": week_book["S1"].id, "symbol": "BTC-USD", "pnl": "21",
                                             "ts": "2026-11-18T12:00:00+00:00"}}
    assert {q: v["pnl"] for q, v in payload["largestLoss"].items()} == {"EUR": "-10", "USD": "-5"}
    assert payload["vsPreviousWeek"] == {
        "previousTrades": 2, "trades": 3,
        "labels": {"DISCIPLINE": 1, "NONE": 1, "OVERTRADING": -1, "PANIC": 1, "REVENGE": 1},
        "realizedPnl": {"EUR": "-10", "USD": "14"}}
    assert payload["habitCurrency"] == "USD"
    assert payload["bestHabit"] == {"label": "PANIC", "quote": "USD", "pnl": "21", "trades": 1,
                                    "pnlByQuote": {"USD": "21"}}
    assert payload["worstHabit"] == {"label": "FOMO", "quote": "USD", "pnl": "17", "trades": 0,
                                     "pnlByQuote": {"USD": "17"}}
    # PANIC and REVENGE both once; REVENGE has the worse USD figure (none, i.e. 0 < 21)
    assert payload["dominantProblem"] == "REVENGE"
    # the coach's REVENGE habits (the library reflections and the gate use), the week's turn: 2026-W47 starts on
    # Monday 16 Nov 2026, ordinal 739,936; // 7 = 105,705; there are 5 REVENGE habits, 105,705 mod 5 = 0
    habits = coach_habits(label="REVENGE", tone="supportive", context="week")
    assert week_index("2026-W47") == 105705 and len(habits) == 5
    assert payload["suggestion"] == {"label": "REVENGE", "text": habits[0]}


def test_streaks_are_the_ones_rules_shows_as_of_the_end_of_the_week(user, week_book):
    from apps.bias.models import Rule
    from apps.journal.selectors import rule_streaks

    Rule.objects.filter(user=user).update(created_at=datetime(2026, 11, 1, tzinfo=UTC))
    payload = digest_payload_build(user=user, week=W47)

    # the journal's streaks (a trading day holds a rule when no trade broke it), days up to Sun 22 Nov:
    # trading days 2, 10, 11, 16, 17, 18, 19, 20 Nov (23 Nov is the next week).
    # maxTradesPerDay broken on 19: 2…18 is a run of 6, then 20 → current 1, best 6.
    # minHoldHours broken on 18: 2…17 is a run of 5, then 19, 20 → current 2, best 5.
    assert payload["streaks"] == [
        {"kind": "maxTradesPerDay", "currentDays": 1, "bestDays": 6, "brokenOn": ["2026-11-19"]},
        {"kind": "minHoldHours", "currentDays": 2, "bestDays": 5, "brokenOn": ["2026-11-18"]},
    ]
    # the same counts /rules/ shows for that moment
    shown = rule_streaks(user=user, now=datetime(2026, 11, 22, 23, 59, tzinfo=UTC))
    assert [(s.kind, s.current, s.best) for s in shown] == [("maxTradesPerDay", 1, 6), ("minHoldHours", 2, 5)]


def test_a_rule_streak_set_during_the_week_counts_from_that_day(user, week_book):
    from apps.bias.models import Rule

    Rule.objects.filter(user=user).update(created_at=datetime(2026, 11, 19, 8, tzinfo=UTC))
    payload = digest_payload_build(user=user, week=W47)

    # from 19 Nov: maxTradesPerDay broken on 19, held on 20 → 1, 1; minHoldHours held on 19 and 20 → 2, 2
    # (its break on 18 Nov came before the rule was set)
    assert payload["streaks"] == [
        {"kind": "maxTradesPerDay", "currentDays": 1, "bestDays": 1, "brokenOn": ["2026-11-19"]},
        {"kind": "minHoldHours", "currentDays": 2, "bestDays": 2, "brokenOn": []},
    ]


def test_disposition_is_odeans_over_the_weeks_sale_days(user, week_book):
    payload = digest_payload_build(user=user, week=W47)

    # counted days 18 and 19 Nov: RG 2, PG 2, RL 1, PL 2 (12 Nov is outside the week, 20 Nov is a one-market day)
    assert payload["disposition"] == {"pgr": 0.5, "plr": 0.333333, "effect": 0.166667,
                                      "counts": {"realizedGains": 2, "realizedLosses": 1, "paperGains": 2,
                                                 "paperLosses": 2},
                                      "saleDays": 3, "significance": "too_few"}


@pytest.mark.parametrize("tone", ["supportive", "strict"])
def test_narrative_numbers_all_come_from_the_payload_and_nothing_is_advice(user, week_book, tone):
    user.coach_tone = tone
    user.save(update_fields=["coach_tone"])
    payload = digest_payload_build(user=user, week=W47)
    text = payload["narrative"]["text"]

    assert payload["narrative"]["source"] == "template" and payload["narrative"]["tone"] == tone
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
    assert 3 <= len(sentences) <= 5
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    assert {"5", "2026", "47", "2", "16", "10", "1", "3", "21", "17"} >= set(numbers)
    assert set(numbers) <= payload_numbers(llm_summary(payload))
    assert coach_text_violations(text=text) == []
    assert "Realised P/L came to -10 EUR and +16 USD," in text  # each currency on its own, never added together


def test_an_empty_week_gets_a_short_digest_that_says_so(user):
    payload = digest_payload_build(user=user, week=W47)

    assert payload["trades"] == 0
    assert payload["labels"] == {} and payload["pnlByLabel"] == {} and payload["largestWin"] == {}
    assert payload["winRate"] is None and payload["disposition"] is None and payload["bestHabit"] is None
    assert payload["suggestion"]["label"] == "EMPTY"
    assert payload["narrative"]["text"].startswith("You made no trades in 2026-W47.")
    assert 3 <= len(re.split(r"(?<=[.!?])\s+", payload["narrative"]["text"])) <= 5


LABELS = ["FOMO", "PANIC", "REVENGE", "OVERTRADING", "OVERCONFIDENCE", "NONE"]


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("tone", ["supportive", "strict"])
def test_every_suggestion_is_a_habit_of_the_coach_library_the_linter_accepts(label, tone):
    habits = coach_habits(label=label, tone=tone, context="week")
    texts = [suggestion_compose(figures={"dominantProblem": label if label != "NONE" else None, "trades": 3,
                                         "week": f"2026-W{week:02d}"}, tone=tone)["text"]
             for week in range(10, 10 + len(habits))]
    assert sorted(texts) == sorted(habits)  # consecutive weeks go through every habit of the label
    assert all(coach_text_violations(text=text) == [] for text in texts)
    assert not any("this trade" in text or " here" in text for text in texts)


@pytest.mark.parametrize("tone", ["supportive", "strict"])
def test_a_week_without_trades_gets_the_no_trades_habit(tone):
    assert suggestion_compose(figures={"trades": 0, "week": "2026-W47"}, tone=tone) == {
        "label": "EMPTY", "text": NO_TRADES[tone]}
    assert coach_text_violations(text=NO_TRADES[tone]) == []


def test_the_narrative_template_rejects_nothing_for_a_week_without_labels():
    payload = {"week": "2026-W01", "trades": 1, "labels": {"NONE": 1}, "closedTrades": 0, "realizedPnl": {},
               "winningTrades": 0, "vsPreviousWeek": {"previousTrades": 1}, "bestHabit": None, "worstHabit": None,
               "suggestion": {"text": "Keep the same one-line plan before every trade, including the dull ones."}}
    text = narrative_template(payload=payload, tone="strict")

    assert text == ("You made 1 trade in 2026-W01, the same number as the week before. No bias showed up on any "
                    "of them. No trade closed a position, so there is no realised P/L to report. Your rule for "
                    "next week: keep the same one-line plan before every trade, including the dull ones.")


def test_the_week_is_the_users_own(user):
    from .conftest import at, scored_trade

    # Sunday 15 Nov 22:00 and Sunday 22 Nov 22:00 in New York (UTC−5) are 03:00 UTC the next Monday
    scored_trade(user, ts=at(16, 3), side="BUY", qty="1", price="1", labels=("FOMO",))
    scored_trade(user, ts=at(23, 3), side="BUY", qty="1", price="1", labels=("PANIC",))

    new_york = digest_payload_build(user=user, week=week_parse(value="2026-W47", zone="America/New_York"))
    utc = digest_payload_build(user=user, week=W47)

    assert (new_york["labels"], new_york["periodStart"]) == ({"PANIC": 1}, "2026-11-16T05:00:00+00:00")
    assert utc["labels"] == {"FOMO": 1}


def test_habits_rank_in_one_currency_and_name_no_worst_when_all_are_equal():
    from collections import Counter
    from decimal import Decimal

    from apps.digest.payload import habits

    pnl = {"FOMO": {"USD": Decimal("10"), "EUR": Decimal("-50")}, "PANIC": {"USD": Decimal("10")},
           "NONE": {"USD": Decimal("99")}}
    best, worst = habits(pnl, Counter({"FOMO": 2, "PANIC": 1}), "USD")

    assert (best["label"], best["pnl"], best["pnlByQuote"], worst) == ("FOMO", "10", {"EUR": "-50", "USD": "10"}, None)
    best, worst = habits(pnl, Counter(), "EUR")
    assert (best["label"], worst) == ("FOMO", None)
