"""The non-advisory linter on a labelled corpus (precision and recall) and on every template the app writes."""
from __future__ import annotations

import pytest

from apps.bias.engine import lint_reflection

from .linter_corpus import ADVISORY, MARKET_COMPARISON_SENTENCES, NON_ADVISORY


def confusion() -> dict:
    flagged_advice = sum(bool(lint_reflection(s)) for s in ADVISORY)
    flagged_clean = sum(bool(lint_reflection(s)) for s in NON_ADVISORY)
    return {"tp": flagged_advice, "fn": len(ADVISORY) - flagged_advice, "fp": flagged_clean,
            "tn": len(NON_ADVISORY) - flagged_clean}


def test_the_corpus_is_large_and_varied():
    assert len(ADVISORY) >= 150 and len(NON_ADVISORY) >= 150
    assert len(set(ADVISORY)) == len(ADVISORY) and len(set(NON_ADVISORY)) == len(NON_ADVISORY)
    assert not set(ADVISORY) & set(NON_ADVISORY)
    # not one pattern each: many different first words on both sides
    assert len({s.split()[0].lower() for s in ADVISORY}) >= 60
    assert len({s.split()[0].lower() for s in NON_ADVISORY}) >= 60


def test_precision_and_recall_on_the_corpus():
    counts = confusion()
    precision = counts["tp"] / (counts["tp"] + counts["fp"])
    recall = counts["tp"] / (counts["tp"] + counts["fn"])
    # no advice passes; the only clean sentence rejected compares two markets
    assert counts == {"tp": 892, "fn": 0, "fp": 1, "tn": 803}
    assert recall == 1.0 and round(precision, 4) == 0.9989


@pytest.mark.parametrize("sentence", ADVISORY)
def test_advice_is_rejected(sentence):
    assert lint_reflection(sentence), sentence


@pytest.mark.parametrize("sentence", sorted(set(NON_ADVISORY) - MARKET_COMPARISON_SENTENCES))
def test_behaviour_and_facts_pass(sentence):
    assert lint_reflection(sentence) == [], sentence


@pytest.mark.parametrize("sentence", sorted(MARKET_COMPARISON_SENTENCES))
def test_a_named_market_is_rejected_in_a_comparison(sentence):
    assert any(v.startswith("named market: ") for v in lint_reflection(sentence))


@pytest.mark.parametrize(("sentence", "kind"), [
    ("Consider buying the dip next time instead.", "instruction"),
    ("Next time, sell half of your BTC once it hits 70k.", "price level"),
    ("A better entry would have been around 61,000.", "price level"),
    ("Stick to BTC and ETH, which are the safest coins.", "asset recommendation"),
    ("The market is bottoming, so re-enter tomorrow.", "market forecast"),
    ("Put 10% of your portfolio into SOL.", "position sizing"),
    ("You will earn 20% a month with this method.", "promise"),
])
def test_each_violation_names_its_kind(sentence, kind):
    assert any(v.startswith(f"{kind}: ") for v in lint_reflection(sentence)), lint_reflection(sentence)


def test_every_sentence_of_a_text_is_checked():
    clean = "You entered after a +9.4% run in 24 hours, with RSI at 76. Write the plan before the entry."
    assert lint_reflection(clean) == []
    assert lint_reflection(clean + " Then buy the dip.") == ["instruction: buy the dip"]
    assert lint_reflection("") == [] and lint_reflection(None) == []


@pytest.mark.parametrize("sentence", [
    "You bought 12 minutes after a 9% spike.",  # what already happened
    "You bought and sold the same market four times in one afternoon.",
    "Your plan's stop is 5% from the entry; your own stop rule is 4%.",  # the trader's own plan and rules
    "Buying after a big run is when FOMO bites hardest.",  # feelings and patterns
    "Nobody can know where the price goes next.",  # a disclaimer
    "How did you decide on the size of this position?",  # a reflective question
    "Step back when the price drops 5% in a day and reread your plan.",  # a market trigger for a process step
    "Keep your next position at your usual size.",  # the usual size as a fact
    "You felt the urge to sell.",
    "What made you sell so quickly?",
])
def test_trading_content_passes_in_an_allowed_form(sentence):
    assert lint_reflection(sentence) == [], lint_reflection(sentence)


@pytest.mark.parametrize("sentence", [
    "Load the boat on the next red candle.",  # content with no allowed form: denied without any advice phrase
    "A quarter of your stack in alts feels about right.",
    "Go flat before the weekend.",
    "You sold at 61,200, which was the smart move.",  # a past fact, then an evaluation of it
    "Shouldn't you take some profit?",  # a rhetorical question
    "Be patient when buying the dip.",  # a trigger that takes the trade for granted
    "Pause until the price drops below 60,000.",  # "until" times the trade
    "Keep your usual size, but double your position after a win.",
    "Your plan is to buy the dip.",  # an allowed subject cannot carry a recommendation
    "Buying the dip is a classic winning pattern.",
    "What is stopping you from adding to your winners?",
    "The price has room to run.",
    "Your coins are undervalued.",
    "You are in a good position to add.",
    "Make the next entry bigger.",
    "Nobody can predict the market, so just buy every dip.",  # a disclaimer covers only its own clause
    "Fear is normal; alts are cheap.",
])
def test_trading_content_outside_the_allowed_forms_is_rejected(sentence):
    assert lint_reflection(sentence), sentence


@pytest.mark.parametrize("sentence", [
    "You bought SOL at $142, about twenty minutes after it had already risen 18% on the day.",
    "ETH was bought at $3,210 and sold at $3,050 the following morning.",
    "You reopened a BTC position eight minutes after closing the last one.",
    "What were you feeling just before you bought ETH on Tuesday?",
])
def test_a_market_named_in_a_past_description_of_the_users_trade_passes(sentence):
    assert lint_reflection(sentence) == [], lint_reflection(sentence)


@pytest.mark.parametrize("sentence", [
    "Buy SOL after a 10% drop.",  # a recommendation
    "You bought SOL at $142, which was a decent entry.",  # a judgement of the past trade
    "SOL is safer than the smaller coins.",  # a safety claim
    "You sold ETH, and it is likely to keep rising.",  # a forecast beside the past fact
    "Your ETH trades went better than your SOL trades.",  # a comparison
    "Step back when BTC drops 5% and reread your plan.",  # a market in a trigger, with no past description
])
def test_a_market_named_outside_a_past_description_is_rejected(sentence):
    assert any(v.startswith("named market: ") for v in lint_reflection(sentence)), lint_reflection(sentence)


@pytest.mark.parametrize(("sentence", "kind"), [
    ("Patience here would most likely be rewarded, as consolidations like this tend to break upwards.", "market forecast"),
    ("A steady routine like this should reliably grow your account by a few percent each month.", "promise"),
    ("Selling into strength, rather than into fear, tends to produce better results.", "instruction"),
])
def test_forecasts_promises_and_maxims_name_their_kind(sentence, kind):
    assert any(v.startswith(f"{kind}: ") for v in lint_reflection(sentence)), lint_reflection(sentence)


@pytest.mark.parametrize("sentence", [
    "Buying into strength like this has often been a mistake for small caps.",  # a judgement made a rule
    "Holding losers into the weekend has generally been an error.",
    "Proceeding with half the usual amount looks reasonable here.",  # an endorsement in the gate's voice
    "A smaller size feels like a sensible compromise.",
    "Proceed, but with a reduced position.",
    "Going ahead is the right call.",
    "Open interest is rising, which often signals more upside.",  # a market state read as a forecast
    "Trading volume is drying up, so the drop has further to go.",
])
def test_judgements_endorsements_and_market_states_are_rejected(sentence):
    assert lint_reflection(sentence), sentence


@pytest.mark.parametrize("sentence", [
    "You sold 1.2 SOL at $140, taking a $35 loss.",  # a participle stating the result of a past trade
    "You closed 3 trades on Tuesday, netting $120.",
    "Realised P/L for the month was −$310 across 22 trades.",
    "On Friday you bought 0.2 BTC at $61,000.",
    "You've hit your weekly trade limit of 20.",  # gate process
    "This market wasn't in the plan you wrote this morning.",
    "The confirmation step will be available in 20 seconds.",
    "The FOMO tag here came from buying 10 minutes after a 9% spike.",  # why a tag fired
    "Writing a one-line journal note before each entry is a habit worth keeping.",
    "It's worth asking whether this buy came from the news you had just read.",
    "You went ahead with the trade despite the warning.",  # going ahead, described or as a trigger
    "If you go ahead, the trade is logged with your note.",
])
def test_past_facts_gate_steps_and_reflections_pass(sentence):
    assert lint_reflection(sentence) == [], lint_reflection(sentence)
