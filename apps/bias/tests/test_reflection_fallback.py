"""A model's text that fails is replaced by the template, and the `coach.reflect` event records why."""
import pytest

from apps.bias.models import Reflection
from apps.bias.services import bias_score_trades
from apps.events.models import EventOutbox

from .engine.test_llm import ADVICE, StubLLM, stub  # noqa: F401 - the stub LLM server fixture

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def test_rejected_advice_is_recorded_on_the_event(user, market_trades, stub):  # noqa: F811
    stub.mode = "advice"
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    events = list(EventOutbox.objects.filter(user=user, type="coach.reflect"))
    assert len(events) == 12
    for event in events:
        assert event.payload["fallback"] == {"reason": "linter",
                                             "violations": ["instruction: You should buy more now", "price level: it will reach $80k"]}
        assert event.payload["insight"] != ADVICE
    assert {r.source for r in Reflection.objects.filter(user=user)} == {"template"}


def test_a_clean_model_text_carries_no_fallback(user, market_trades, stub):  # noqa: F811
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades[:3]])
    events = list(EventOutbox.objects.filter(user=user, type="coach.reflect"))
    assert events and all("fallback" not in e.payload for e in events)


def test_an_unreachable_model_is_recorded_as_unavailable(user, market_trades, stub):  # noqa: F811
    stub.mode = "error"
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades[:2]])
    reasons = {e.payload["fallback"]["reason"] for e in EventOutbox.objects.filter(user=user, type="coach.reflect")}
    assert reasons == {"unavailable"}
