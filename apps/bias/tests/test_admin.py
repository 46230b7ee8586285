"""Operator admin: tags filterable by label and engine version, features shown read-only and pretty."""
from decimal import Decimal

import pytest

from apps.bias.models import BiasTag, Reflection, Rule
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_biastag_admin_filters_and_pretty_features(admin_client):
    trade = TradeFactory()
    fomo = BiasTag.objects.create(trade=trade, label="FOMO", confidence=Decimal("0.7"), engine_version="1.0.0",
                                  features={"conditions": [{"name": "RSI_14", "fired": True}]})
    BiasTag.objects.create(trade=trade, label="NONE", confidence=Decimal("0.2"), engine_version="0.9.0")
    listing = admin_client.get("/admin/bias/biastag/", {"label": "FOMO", "engine_version": "1.0.0"})
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [fomo]
    page = admin_client.get(f"/admin/bias/biastag/{fomo.id}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<pre>{\n  &quot;conditions&quot;: [" in html
    assert 'name="features"' not in html


def test_rule_and_reflection_admin_pages(admin_client, user):
    Rule.objects.create(user=user, kind="minHoldHours", params={"hours": 4})
    trade = TradeFactory(user=user)
    Reflection.objects.create(user=user, trade=trade, text="Two sentences. One habit.", tone="strict", bias="PANIC",
                              event_id="01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert admin_client.get("/admin/bias/rule/").status_code == 200
    reflections = admin_client.get("/admin/bias/reflection/", {"tone": "strict"})
    assert reflections.status_code == 200
    assert len(reflections.context["cl"].queryset) == 1
