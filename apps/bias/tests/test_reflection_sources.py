"""Reflections written by scoring: a configured model's clean text is used (source "llm"); advice from it
falls back to the linted template; the event carries what was stored."""
import pytest

from apps.bias.engine import lint_reflection
from apps.bias.models import Reflection
from apps.bias.services import bias_score_trades
from apps.events.models import EventOutbox

from .engine.test_llm import ADVICE, GOOD, StubLLM, stub  # noqa: F401 - the stub LLM server fixture

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def test_model_text_is_used_when_clean(user, market_trades, stub):  # noqa: F811
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    reflections = list(Reflection.objects.all())
    assert len(reflections) == 12
    assert {(r.source, r.text) for r in reflections} == {("llm", GOOD)}
    assert {e.payload["insight"] for e in EventOutbox.objects.filter(type="coach.reflect")} == {GOOD}
    assert stub.requests
    assert all(user.email not in r["body"] and market_trades[0].id not in r["body"] for r in stub.requests)


def test_advice_from_the_model_falls_back_to_the_template(user, market_trades, stub):  # noqa: F811
    stub.mode = "advice"
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    reflections = list(Reflection.objects.all())
    assert len(reflections) == 12
    assert all(r.source == "template" and r.text != ADVICE and lint_reflection(r.text) == [] for r in reflections)
