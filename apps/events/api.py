from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import clamp_limit

from .selectors import event_list_since
from .services import event_envelope


class EventListApi(APIView):
    """The user's events after `since` (an eventId), in delivery order; from the oldest retained without it."""

    class OutputSerializer(serializers.Serializer):
        type = serializers.CharField()
        eventId = serializers.CharField()  # noqa: N815
        ts = serializers.DateTimeField()
        v = serializers.IntegerField()
        payload = serializers.JSONField()
        requestId = serializers.CharField(  # noqa: N815
            required=False, help_text="The X-Request-ID of the request that caused the event (absent when none).")

    @extend_schema(
        parameters=[OpenApiParameter("since", str, description="eventId to continue after"),
                    OpenApiParameter("limit", int, description="1..500, default 100")],
        responses=inline_serializer("EventPage", {"results": OutputSerializer(many=True),
                                                  "nextCursor": serializers.CharField(allow_null=True)}),
    )
    def get(self, request):
        limit = clamp_limit(request.query_params.get("limit"))
        since = request.query_params.get("since") or None
        rows, _ = event_list_since(user_id=str(request.user.pk), since=since, limit=limit)
        results = [event_envelope(row) for row in rows]
        next_cursor = results[-1]["eventId"] if len(results) == limit else None
        return Response({"results": results, "nextCursor": next_cursor})
