"""Reflection templates and the non-advisory linter."""
from __future__ import annotations

import re

import pytest

from apps.bias.engine import LABELS, lint_reflection, score_trades
from apps.bias.engine.reflections import FRAMINGS, HABITS, TONES, template_reflection

from .scenarios import all_scenarios


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


@pytest.fixture(scope="module")
def scenario_tags():
    tags = []
    for scenario in all_scenarios():
        tags += score_trades(trades=scenario.book.trades, candles=scenario.candles, rules=scenario.rules,
                             target_ids=set(scenario.expected)).tags
    return tags


def test_every_template_variant_is_clean_and_two_sentences():
    for label in LABELS:
        for tone in TONES:
            assert len(HABITS[label][tone]) >= 5, (label, tone)
            assert len(set(HABITS[label][tone])) == len(HABITS[label][tone])
            for key in {label, "NONE_NEAR"} if label == "NONE" else {label}:
                for framing in FRAMINGS[key][tone]:
                    for habit in HABITS[label][tone]:
                        for facts in ("You entered after a +12.0% run in 24 hours, with RSI at 78", "Nothing stood out"):
                            text = f"{facts}{framing} {habit}"
                            assert lint_reflection(text) == [], (label, tone, text)
                            assert len(sentences(text)) == 2, text


def test_reflections_for_real_tags_are_clean_deterministic_and_about_behaviour(scenario_tags):
    seen_labels = set()
    for tag in scenario_tags:
        for tone in TONES:
            reflection = template_reflection(label=tag.label, features=tag.features, tone=tone)
            again = template_reflection(label=tag.label, features=tag.features, tone=tone)
            assert reflection == again
            assert reflection.bias == tag.label and reflection.tone == tone
            assert len(sentences(reflection.text)) == 2, reflection.text
            # every framing and habit this tag could be given passes the linter
            for occurrence in range(10):
                features = {**tag.features, "history": {**tag.features["history"], "occurrence": occurrence}}
                text = template_reflection(label=tag.label, features=features, tone=tone).text
                assert lint_reflection(text) == [], text
                assert len(sentences(text)) == 2, text
        seen_labels.add(tag.label)
    assert seen_labels == set(LABELS)


def test_facts_come_from_the_evidence_and_degrade_without_it():
    features = {"inputs": {"pct_change_24h_before": 0.1234, "RSI_14": 78.4}}
    text = template_reflection(label="FOMO", features=features, tone="strict").text
    assert text.startswith("You entered after a +12.3% run in 24 hours, with RSI at 78")
    bare = template_reflection(label="FOMO", features={}, tone="strict").text
    assert bare.startswith("You entered right after a sharp run-up")
    unknown = template_reflection(label="SOMETHING", features={}, tone="loud")
    assert (unknown.bias, unknown.tone) == ("NONE", "supportive")


def test_variant_choice_without_an_occurrence_depends_on_the_features():
    texts = {template_reflection(label="REVENGE", features={"inputs": {"hours_since_exit": h / 10, "size_vs_lost_position": 1.5}},
                                 tone="supportive").text.split(". ")[-1] for h in range(1, 60)}
    assert len(texts) == 5


@pytest.mark.parametrize(("text", "kind"), [
    ("Bitcoin has a price target of $70k by summer.", "price level"),
    ("BTC will reach 80,000 soon.", "price level"),
    ("ETH could hit $5,000 next month, so keep calm.", "price level"),
    ("Expect 3,200 EUR on ETH by next week.", "price level"),
    ("You should buy the dip next time.", "instruction"),
    ("Buy now before it runs.", "instruction"),
    ("Sell today and wait.", "instruction"),
    ("It's time to go long on this one.", "instruction"),
    ("Consider taking profits here; I recommend you sell half.", "instruction"),
    ("Hold until the trend turns.", "instruction"),
    ("This setup is guaranteed to pay.", "promise"),
    ("A risk-free way to trade.", "promise"),
    ("With this habit you can't lose.", "promise"),
    ("It is a sure profit.", "promise"),
    ("The market will go up from here.", "market forecast"),
    ("Bitcoin is going to crash this week.", "market forecast"),
    ("Prices are bound to rebound.", "market forecast"),
    ("It can only go up.", "market forecast"),
])
def test_linter_catches_advice(text, kind):
    violations = lint_reflection(text)
    assert any(v.startswith(kind) for v in violations), (text, violations)


@pytest.mark.parametrize("text", [
    "You sold 2 hours after a losing exit, at 1.6x the size of that position. Give yourself a fixed cooldown.",
    "You kept your minimum holding time rule on this trade. Log what you did here.",
    "Your entry came after a +12.0% run in 24 hours with RSI at 78. Wait one full candle next time.",
    "Fees so far today ate 0.4% of the 12,000 USD you traded. Pick a daily trade limit.",
    "",
])
def test_linter_leaves_behavioural_text_alone(text):
    assert lint_reflection(text) == []
