"""REST endpoints: performance figures (summary, equity, calendar, breakdowns); account export and delete."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import ValidationFailed
from apps.core.validation import datetime_parse, text_is_clean

from . import selectors
from .selectors import Filters

JSON_OBJECT = OpenApiTypes.OBJECT
MAX_LIST = 50
FILTER_PARAMETERS = [
    OpenApiParameter("since", str, description="ISO date or date-time (UTC when no zone); exits from then on"),
    OpenApiParameter("until", str, description="ISO date (whole day included) or date-time, exclusive"),
    OpenApiParameter("symbol", str, description="Symbol(s), comma-separated, e.g. BTC-USD,ETH-EUR"),
    OpenApiParameter("label", str, description="Bias label(s) the exit carries, comma-separated"),
    OpenApiParameter("broker", str, description="Broker(s), comma-separated"),
    OpenApiParameter("side", str, description="BUY and/or SELL (closed positions are exits: SELL)"),
]


def _list(request, name: str, *, upper: bool = False, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    if len(values) > MAX_LIST or any(len(v) > 64 or not text_is_clean(v) for v in values):
        raise ValidationFailed(fields={name: [f"At most {MAX_LIST} values of up to 64 characters."]})
    if upper:
        values = [v.upper() for v in values]
    if choices is not None and any(v not in choices for v in values):
        raise ValidationFailed(fields={name: [f"Choose from: {', '.join(choices)}."]})
    return tuple(dict.fromkeys(values))


def filters_from(request) -> Filters:
    params = request.query_params
    since = datetime_parse(params["since"], field="since") if params.get("since") else None
    until = datetime_parse(params["until"], field="until", end_of_day=True) if params.get("until") else None
    if since is not None and until is not None and since >= until:
        raise ValidationFailed("since must be before until.", fields={"since": ["Must be before until."]})
    return Filters(since=since, until=until, symbols=_list(request, "symbol", upper=True),
                   brokers=_list(request, "broker"), sides=_list(request, "side", upper=True, choices=("BUY", "SELL")),
                   labels=_list(request, "label", upper=True))


class SummaryApi(APIView):
    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: JSON_OBJECT},
                   summary="Win rate, profit factor, expectancy, streaks, holds and fees per quote currency")
    def get(self, request):
        return Response(selectors.performance_summary(user=request.user, filters=filters_from(request)))


class EquityApi(APIView):
    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: JSON_OBJECT},
                   summary="Cumulative realised P/L per day with drawdown, per quote currency")
    def get(self, request):
        return Response(selectors.equity_curve(user=request.user, filters=filters_from(request)))


class CalendarApi(APIView):
    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: JSON_OBJECT},
                   summary="Realised P/L and closed positions per day, per quote currency")
    def get(self, request):
        return Response(selectors.pnl_calendar(user=request.user, filters=filters_from(request)))


class BreakdownApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("by", str, enum=list(selectors.BREAKDOWNS), required=True),
                               *FILTER_PARAMETERS],
                   responses={200: JSON_OBJECT}, summary="P/L and win rate by hour, weekday, symbol, label or broker")
    def get(self, request):
        by = request.query_params.get("by", "")
        return Response(selectors.performance_breakdown(user=request.user, filters=filters_from(request), by=by))
