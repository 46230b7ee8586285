"""Simulations REST API: one trade's counterfactuals, a stored simulation, and the rule back-test."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import ValidationFailed
from apps.core.ratelimits import rate_limit_check
from apps.core.validation import datetime_parse

from .services import DEFAULT_PULLBACK, PENDING, rules_backtest_run, simulation_document, simulation_request

SIMULATION_RATE = "10/m"
MAX_BACKTEST_SPAN = timedelta(days=366)


def _rate_limited(request) -> None:
    rate_limit_check(request, group="simulations", key="user", rate=SIMULATION_RATE)


class StrictSerializer(serializers.Serializer):
    """Rejects keys it does not declare (a misspelt field is an error, not silently ignored)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


def _moment(value: str, *, field: str, end_of_day: bool = False):
    try:
        return datetime_parse(value, field=field, end_of_day=end_of_day)
    except ValidationFailed as exc:
        raise serializers.ValidationError(exc.fields) from exc


def _simulation_response(document: dict) -> Response:
    return Response(document, status=202 if document["status"] == PENDING else 200)


class SimulationSimpleApi(APIView):
    class InputSerializer(StrictSerializer):
        tradeId = serializers.CharField(required=False, max_length=64)
        symbol = serializers.CharField(required=False, max_length=32)
        horizonDays = serializers.IntegerField(min_value=1, max_value=30)
        pullbackPct = serializers.DecimalField(required=False, max_digits=6, decimal_places=3,
                                               min_value=Decimal("0.5"), max_value=Decimal("20"),
                                               default=DEFAULT_PULLBACK)

        def validate(self, attrs):
            given = [name for name in ("tradeId", "symbol") if attrs.get(name)]
            if len(given) != 1:
                message = "Give exactly one of tradeId and symbol."
                raise serializers.ValidationError({"tradeId": [message], "symbol": [message]})
            return attrs

    @extend_schema(request=InputSerializer, responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT},
                   summary="Simulate a trade: what happened vs holding vs waiting for a pullback")
    def post(self, request):
        _rate_limited(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        document = simulation_request(user=request.user, trade_id=values.get("tradeId"), symbol=values.get("symbol"),
                                      horizon_days=values["horizonDays"], pullback_pct=values["pullbackPct"])
        return _simulation_response(document)


class SimulationDetailApi(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT},
                   summary="A simulation: its document once done, pending, or its error")
    def get(self, request, simulation_id: str):
        return _simulation_response(simulation_document(user=request.user, simulation_id=simulation_id))


class RulesBacktestApi(APIView):
    class InputSerializer(StrictSerializer):
        since = serializers.CharField(help_text="ISO-8601 date or time (a missing zone means UTC)")
        until = serializers.CharField(help_text="ISO-8601 date or time; a bare date includes that day")
        rules = serializers.ListField(child=serializers.JSONField(), required=False, max_length=20)

        def validate(self, attrs):
            attrs["since"] = _moment(attrs["since"], field="since")
            attrs["until"] = _moment(attrs["until"], field="until", end_of_day=True)
            if attrs["since"] >= attrs["until"]:
                raise serializers.ValidationError({"until": ["Must be after since."]})
            if attrs["until"] - attrs["since"] > MAX_BACKTEST_SPAN:
                raise serializers.ValidationError({"since": ["The period can be at most 366 days."]})
            return attrs

    @extend_schema(request=InputSerializer, responses={200: OpenApiTypes.OBJECT},
                   summary="Replay your trades of a period under your rules (or rules you are trying)")
    def post(self, request):
        _rate_limited(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return Response(rules_backtest_run(user=request.user, since=values["since"], until=values["until"],
                                           rules=values.get("rules")))
