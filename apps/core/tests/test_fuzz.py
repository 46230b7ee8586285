"""Arbitrary JSON bodies, cursors, path segments and query strings against every API route: never a 5xx, and
every error is the JSON envelope."""
import base64
import json
import re
from urllib.parse import quote

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]


def _routes(patterns=None, prefix: str = "") -> list[str]:
    routes = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith(("api/", "v1/")) and not route.startswith(
                ("api/schema", "api/docs")):
            routes.append(route)
    return sorted(set(routes))


ROUTES = _routes()
# The JSON a client may send: any value, nested a little or a lot.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
texts = st.text(max_size=60) | st.sampled_from(["", "0", "-1", "1e309", "0001-01-01", "9999-12-31T23:59:59-23:59",
                                                "a\x00b", "ü" * 30, "../../etc", "%00", "null"])
cursors = json_values.map(lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).decode().rstrip("="))
query_values = texts | cursors
query_keys = st.sampled_from(["cursor", "limit", "since", "until", "symbol", "label", "sort", "order", "lastEventId",
                              "code", "state", "horizonDays", "tradeId", "page"]) | st.text(max_size=10)
deep = st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n)


@st.composite
def requests(draw):
    route = draw(st.sampled_from(ROUTES))
    path = "/" + re.sub(r"<(?:\w+:)?\w+>", lambda _: quote(draw(texts) or "x", safe=""), route)
    query = draw(st.dictionaries(query_keys, query_values, max_size=4))
    method = draw(st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE"]))
    kind = draw(st.sampled_from(["json", "json", "raw", "deep", "form"]))
    if kind == "json":
        body, content_type = json.dumps(draw(json_values)), "application/json"
    elif kind == "deep":
        body, content_type = draw(deep), "application/json"
    elif kind == "raw":
        body, content_type = draw(st.binary(max_size=200)), draw(st.sampled_from(
            ["application/json", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]))
    else:
        body = "&".join(f"{quote(k)}={quote(v)}" for k, v in draw(st.dictionaries(query_keys, texts, max_size=3)).items())
        content_type = "application/x-www-form-urlencoded"
    return method, path, query, body, content_type


def test_every_api_route_is_in_the_list():
    assert {"api/trades", "api/trades/<str:trade_id>", "api/bias/trades", "api/bias/summary", "api/events",
            "api/auth/login", "api/rules/upsert", "v1/nlg/reflect"} <= set(ROUTES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(request=requests())
def test_no_input_makes_the_api_answer_5xx(api_client, user, stub_exchange, request):
    if not TradeFactory._meta.model.objects.filter(user=user).exists():
        TradeFactory.create_batch(3, user=user)
    method, path, query, body, content_type = request
    response = api_client.generic(method, path + ("?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
                                                  if query else ""), data=body, content_type=content_type)
    assert response.status_code < 500, (method, path, query, body, response.content[:500])
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/json", (method, path, response.content[:200])
        assert set(json.loads(response.content)["error"]) >= {"code", "message"}
