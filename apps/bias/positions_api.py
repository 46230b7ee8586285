"""GET /api/positions: the user's positions (round trips), newest first, with the labels of both sides."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .engine import LABELS
from .round_trips import STATUSES, position_round_trips


def _decimal(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=40, decimal_places=18, normalize_output=True, **kwargs)


class PositionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES, required=False, default="all")
    symbol = serializers.CharField(required=False, max_length=32)
    broker = serializers.CharField(required=False, max_length=32)
    label = serializers.ChoiceField(choices=LABELS, required=False)
    dayFrom = serializers.DateField(required=False)
    dayTo = serializers.DateField(required=False)
    cursor = serializers.CharField(required=False, max_length=512)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)

    def filters(self) -> dict:
        data = dict(self.validated_data)
        data["day_from"], data["day_to"] = data.pop("dayFrom", None), data.pop("dayTo", None)
        return {key: value for key, value in data.items() if value not in ("", None) or key == "status"}


class PositionOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES[1:])
    symbol = serializers.CharField()
    quote = serializers.CharField()
    qty = _decimal()
    entryPrice = _decimal(source="entry_price", allow_null=True)
    entryAt = serializers.DateTimeField(source="entry_at", allow_null=True)
    exitPrice = _decimal(source="exit_price", allow_null=True)
    exitAt = serializers.DateTimeField(source="exit_at", allow_null=True)
    heldHours = serializers.FloatField(source="held_hours", allow_null=True)
    realizedPnl = _decimal(source="realized_pnl", allow_null=True)
    entryTradeIds = serializers.ListField(source="entry_trade_ids", child=serializers.CharField())
    exitTradeId = serializers.CharField(source="exit_trade_id", allow_null=True)
    entryLabels = serializers.ListField(source="entry_labels", child=serializers.CharField())
    exitLabels = serializers.ListField(source="exit_labels", child=serializers.CharField())


class PositionListApi(APIView):
    @extend_schema(parameters=[PositionFilterSerializer], summary=(
        "The user's positions: each exit with the entries it closed (FIFO) and each entry still open, newest "
        "first; realised P/L net of fees in the market's quote currency (null when no earlier entry is known)"),
        responses={200: inline_serializer("PositionPage", {"results": PositionOutputSerializer(many=True),
                                                           "nextCursor": serializers.CharField(allow_null=True)})})
    def get(self, request):
        data = PositionFilterSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        trips, next_cursor = position_round_trips(user=request.user, **data.filters())
        return Response({"results": PositionOutputSerializer(trips, many=True).data, "nextCursor": next_cursor})
