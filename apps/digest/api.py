"""Digest REST API: the latest weekly digest, the list, one digest."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors


class DigestOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    userId = serializers.CharField(source="user_id")
    periodStart = serializers.DateTimeField(source="period_start")
    periodEnd = serializers.DateTimeField(source="period_end")
    week = serializers.CharField()
    timezone = serializers.CharField()
    payload = serializers.JSONField()
    deliveredAt = serializers.DateTimeField(source="delivered_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    builtAt = serializers.DateTimeField(source="built_at")


class DigestLatestApi(APIView):
    @extend_schema(responses={200: DigestOutputSerializer})
    def get(self, request):
        return Response(DigestOutputSerializer(selectors.digest_latest(user=request.user)).data)


class DigestListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        cursor = serializers.CharField(required=False, max_length=1024)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100)

    @extend_schema(parameters=[FilterSerializer], responses={200: inline_serializer("DigestPage", fields={
        "results": DigestOutputSerializer(many=True), "nextCursor": serializers.CharField(allow_null=True)})})
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows, next_cursor = selectors.digest_list(user=request.user, **filters.validated_data)
        return Response({"results": DigestOutputSerializer(rows, many=True).data, "nextCursor": next_cursor})


class DigestDetailApi(APIView):
    @extend_schema(responses={200: DigestOutputSerializer})
    def get(self, request, digest_id: str):
        return Response(DigestOutputSerializer(selectors.digest_get(user=request.user, digest_id=digest_id)).data)
