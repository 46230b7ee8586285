"""Journal REST API: entries (create, list with filters and search, read, change, delete) and attachments.

Request bodies are checked against their JSON Schema (`journal-entry`, `journal-entry-update`) by the services;
every route is scoped to the requesting user (another user's entry is a 404)."""
from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.ratelimits import rate_limit_check

from . import selectors, services

WRITE_RATE = "60/m"


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    contentType = serializers.CharField(source="content_type")
    size = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")

    def get_url(self, attachment) -> str:
        return f"/api/journal-attachments/{attachment.id}"


class ContentOutputSerializer(serializers.Serializer):
    text = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(), source="entry.tags")


class EntryOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="entry.id")
    type = serializers.CharField(source="entry.type")
    status = serializers.CharField(source="entry.status")
    intentId = serializers.CharField(source="entry.intent_id", allow_null=True)
    tradeId = serializers.CharField(source="entry.trade_id", allow_null=True)
    symbol = serializers.CharField(source="entry.symbol")
    content = ContentOutputSerializer(source="*")
    emotions = serializers.DictField(child=serializers.IntegerField(), source="entry.emotions")
    adherence = serializers.JSONField(source="entry.adherence", allow_null=True)
    attachments = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="entry.created_at")
    updatedAt = serializers.DateTimeField(source="entry.updated_at")

    @extend_schema_field(AttachmentOutputSerializer(many=True))
    def get_attachments(self, view) -> list[dict]:
        return AttachmentOutputSerializer(view.entry.attachments.all(), many=True).data


def _view(entry) -> selectors.EntryView:
    return selectors.EntryView(entry=entry, text=services.entry_text_open(entry=entry))


LIST_PARAMETERS = [
    OpenApiParameter("type", str, enum=["pre", "post", "note"]), OpenApiParameter("symbol", str),
    OpenApiParameter("tag", str), OpenApiParameter("since", OpenApiTypes.DATETIME),
    OpenApiParameter("until", OpenApiTypes.DATETIME), OpenApiParameter("tradeId", str),
    OpenApiParameter("q", str, description="Words that must all appear in the text (whole words, any case)."),
    OpenApiParameter("cursor", str), OpenApiParameter("limit", int),
]


class EntryListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        type = serializers.ChoiceField(choices=["pre", "post", "note"], required=False)
        symbol = serializers.RegexField(r"^[A-Za-z0-9]{1,15}-[A-Za-z0-9]{1,15}$", required=False)
        tag = serializers.RegexField(r"^[a-z0-9][a-z0-9_-]{0,31}$", required=False)
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)
        tradeId = serializers.RegexField(r"^[A-Za-z0-9_-]{1,32}$", required=False)  # noqa: N815 - wire name
        q = serializers.CharField(max_length=200, required=False, trim_whitespace=True)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: EntryOutputSerializer},
                   description="Body: the `journal-entry` contract (GET /api/contracts/).")
    def post(self, request):
        rate_limit_check(request, group="journal.write", key="user", rate=WRITE_RATE)
        entry = services.entry_create(user=request.user, data=request.data)
        return Response(EntryOutputSerializer(_view(entry)).data, status=201)

    @extend_schema(parameters=LIST_PARAMETERS, responses={200: EntryOutputSerializer(many=True)})
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        tokens = services.search_query_tokens(user_id=request.user.id, q=data["q"]) if data.get("q") else None
        page = selectors.entry_list(user=request.user, type=data.get("type"), symbol=data.get("symbol"),
                                    tag=data.get("tag"), since=data.get("since"), until=data.get("until"),
                                    trade_id=data.get("tradeId"), search_tokens=tokens,
                                    cursor=request.query_params.get("cursor"), limit=request.query_params.get("limit"))
        return Response({"results": EntryOutputSerializer(page.results, many=True).data, "nextCursor": page.next_cursor})


class EntryDetailApi(APIView):
    @extend_schema(responses={200: EntryOutputSerializer})
    def get(self, request, entry_id: str):
        return Response(EntryOutputSerializer(selectors.entry_view_get(user=request.user, entry_id=entry_id)).data)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: EntryOutputSerializer},
                   description="Body: the `journal-entry-update` contract (GET /api/contracts/).")
    def patch(self, request, entry_id: str):
        rate_limit_check(request, group="journal.write", key="user", rate=WRITE_RATE)
        services.entry_update(user=request.user, entry_id=entry_id, data=request.data)
        return Response(EntryOutputSerializer(selectors.entry_view_get(user=request.user, entry_id=entry_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, entry_id: str):
        services.entry_delete(user=request.user, entry_id=entry_id)
        return Response(status=204)


class AttachmentListApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}}}, responses={201: AttachmentOutputSerializer},
        description="A PNG, JPEG or WebP image (checked by content) of at most 5 MB; stored without its metadata.")
    def post(self, request, entry_id: str):
        rate_limit_check(request, group="journal.write", key="user", rate=WRITE_RATE)
        attachment = services.attachment_add(user=request.user, entry_id=entry_id, upload=request.FILES.get("file"))
        return Response(AttachmentOutputSerializer(attachment).data, status=201)


class AttachmentDetailApi(APIView):
    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request, attachment_id: str):
        attachment = selectors.attachment_get(user=request.user, attachment_id=attachment_id)
        response = FileResponse(services.attachment_open(attachment=attachment), content_type=attachment.content_type)
        response["Cache-Control"] = "private, no-store"
        response["Content-Disposition"] = "inline"
        return response


class RuleStreakOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    current = serializers.IntegerField()
    best = serializers.IntegerField()
    daysHeld = serializers.IntegerField(source="days_held")
    daysBroken = serializers.IntegerField(source="days_broken")
    lastBroken = serializers.DateField(source="last_broken", allow_null=True)


class RuleStreakListApi(APIView):
    """Per active rule: trading days in a row it held (current, best) over the last year, in your time zone."""

    @extend_schema(responses={200: RuleStreakOutputSerializer(many=True)})
    def get(self, request):
        streaks = selectors.rule_streaks(user=request.user)
        return Response({"results": RuleStreakOutputSerializer(streaks, many=True).data, "nextCursor": None})
