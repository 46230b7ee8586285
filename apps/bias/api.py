"""REST endpoints: a trade's bias evidence and chart, the label grid, rules, and the dashboard summary."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.brokers.selectors import candles_version_key
from apps.brokers.services import TRADE_CANDLE_GRANULARITY
from apps.core.errors import ValidationFailed
from apps.core.readcache import cached_json, query_key, read_through
from apps.core.validation import datetime_parse

from . import selectors
from .engine import LABELS
from .services import rule_upsert
from .services.rules import rule_calibration_set_active, rule_calibration_view
from .summary import bias_summary

JSON_OBJECT = OpenApiTypes.OBJECT
CHART_GRANULARITY = TRADE_CANDLE_GRANULARITY  # the candles `trade_chart_get` draws
SUMMARY_SLIDE = 30  # seconds: how long the summary of a window ending now is reused while nothing changes


class TradeBiasApi(APIView):
    @extend_schema(responses={200: JSON_OBJECT}, summary="Bias tags, evidence, reflection and position of a trade")
    def get(self, request, trade_id: str):
        return Response(selectors.trade_bias_get(user=request.user, trade_id=trade_id))


class TradeChartApi(APIView):
    @extend_schema(responses={200: JSON_OBJECT}, summary="Candles around a trade with the user's entry/exit markers")
    def get(self, request, trade_id: str):
        user = request.user
        symbol = read_through(user_id=user.pk, name="bias.trade-symbol", params=(trade_id,),
                              build=lambda: selectors.trade_symbol_get(user=user, trade_id=trade_id))
        return cached_json(user_id=user.pk, name="bias.chart", params=(trade_id,),
                           outside=[candles_version_key(symbol=symbol, granularity=CHART_GRANULARITY)],
                           build=lambda: selectors.trade_chart_get(user=user, trade_id=trade_id))


class TradeGridApi(APIView):
    class FilterSerializer(serializers.Serializer):
        label = serializers.ChoiceField(choices=LABELS, required=False)
        sort = serializers.ChoiceField(choices=list(selectors.GRID_SORTS), required=False, default="-ts")
        cursor = serializers.CharField(required=False)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)
        symbol = serializers.CharField(required=False, max_length=32)
        broker = serializers.CharField(required=False, max_length=32)
        dayFrom = serializers.DateField(required=False)
        dayTo = serializers.DateField(required=False)

    @extend_schema(parameters=[FilterSerializer], responses={200: JSON_OBJECT},
                   summary="The user's trades with label chips (filter by label, market, exchange and days in "
                           "your time zone; sort by ts or symbol)")
    def get(self, request):
        user = request.user

        def build() -> dict:
            data = self.FilterSerializer(data=request.query_params)
            data.is_valid(raise_exception=True)
            filters = dict(data.validated_data)
            filters["day_from"], filters["day_to"] = filters.pop("dayFrom", None), filters.pop("dayTo", None)
            results, next_cursor = selectors.trade_grid(user=user, **filters)
            return {"results": results, "nextCursor": next_cursor}

        # Keyed by the query as sent (only a valid one was ever kept) and the time zone its days are read in.
        return cached_json(user_id=user.pk, name="bias.grid", build=build,
                           params=(*query_key(request), getattr(user, "timezone", "UTC")))


class RuleOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    params = serializers.JSONField()
    active = serializers.BooleanField()
    createdAt = serializers.DateTimeField(source="created_at")


class RuleListApi(APIView):
    @extend_schema(responses={200: inline_serializer("RuleList", {
        "results": RuleOutputSerializer(many=True), "nextCursor": serializers.CharField(allow_null=True)})})
    def get(self, request):
        rules = selectors.rule_list(user=request.user)
        return Response({"results": RuleOutputSerializer(rules, many=True).data, "nextCursor": None})


class RuleUpsertApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.CharField(max_length=48)
        params = serializers.JSONField()
        active = serializers.BooleanField(required=False, default=True)

    @extend_schema(request=InputSerializer, responses={200: RuleOutputSerializer, 201: RuleOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule, created = rule_upsert(user=request.user, **data.validated_data)
        return Response(RuleOutputSerializer(rule).data, status=201 if created else 200)


class RuleCalibrationApi(APIView):
    class InputSerializer(serializers.Serializer):
        active = serializers.BooleanField()

    @extend_schema(responses={200: JSON_OBJECT},
                   summary="Your calibrated lines beside the defaults, and which ones scoring uses now")
    def get(self, request):
        return Response(rule_calibration_view(user=request.user))

    @extend_schema(request=InputSerializer, responses={200: JSON_OBJECT},
                   summary="Apply your calibrated lines (active: true) or go back to the defaults (false)")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule_calibration_set_active(user=request.user, active=data.validated_data["active"])
        return Response(rule_calibration_view(user=request.user))


def _parse_bound(value: str | None, field: str, *, end: bool) -> datetime | None:
    if not value:
        return None
    return datetime_parse(value, field=field, end_of_day=end)  # a date: `until` includes the whole day


class BiasSummaryApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("since", str, description="ISO date/time, default 90 days ago"),
                               OpenApiParameter("until", str, description="ISO date/time, default now")],
                   responses={200: JSON_OBJECT}, summary="Labels per day, P/L by label, disposition effect")
    def get(self, request):
        explicit_until = _parse_bound(request.query_params.get("until"), "until", end=True)
        explicit_since = _parse_bound(request.query_params.get("since"), "since", end=False)
        now = timezone.now()
        until = explicit_until or now
        since = explicit_since or until - timedelta(days=90)
        now = int(now.timestamp())
        if since >= until:
            raise ValidationFailed("since must be before until.", fields={"since": ["Must be before until."]})
        # A window that ends now is kept for SUMMARY_SLIDE seconds (its edges move that slowly); any change
        # of the user's data replaces it at once.
        key = (since, until) if explicit_until else (since if explicit_since else None, now // SUMMARY_SLIDE)
        return cached_json(user_id=request.user.pk, name="bias.summary", params=key,
                           build=lambda: bias_summary(user=request.user, since=since, until=until))

