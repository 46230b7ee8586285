"""Brokers REST API: connect (OAuth / API key), list, pause, resume, disconnect. Never any secret out."""
from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import DomainError

from . import selectors
from .services import (
    connection_disconnect,
    connection_link_binance,
    connection_oauth_complete,
    connection_oauth_start,
    connection_pause,
    connection_resume,
)

CONNECTIONS_PAGE = "/connections/"


class ConnectionOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    broker = serializers.CharField()
    status = serializers.CharField()
    scope = serializers.CharField()
    label = serializers.CharField()
    expiresAt = serializers.DateTimeField(source="expires_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    lastUsedAt = serializers.DateTimeField(source="last_used_at", allow_null=True)


def _session_key(request) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def _redirect_uri(request, broker: str) -> str:
    configured = settings.COINBASE_REDIRECT_URI if broker == "coinbase" else ""
    if configured and not settings.STUB_EXCHANGE_EMBEDDED:
        return configured
    return request.build_absolute_uri(reverse("api-brokers-connect-callback", args=[broker]))


class ConnectionListApi(APIView):
    @extend_schema(responses={200: inline_serializer("ConnectionList", {
        "results": ConnectionOutputSerializer(many=True), "nextCursor": serializers.CharField(allow_null=True)})})
    def get(self, request):
        connections = selectors.connection_list(user=request.user)
        return Response({"results": ConnectionOutputSerializer(connections, many=True).data, "nextCursor": None})


class ConnectStartApi(APIView):
    @extend_schema(request=None, responses={200: inline_serializer("ConnectStart", {
        "redirectUrl": serializers.URLField()})})
    def post(self, request, broker: str):
        url = connection_oauth_start(user=request.user, broker=broker, session_key=_session_key(request),
                                     redirect_uri=_redirect_uri(request, broker))
        return Response({"redirectUrl": url})


class ConnectCallbackApi(APIView):
    """The exchange redirects the browser here; on success we redirect to the connections page."""

    @extend_schema(parameters=[OpenApiParameter("code", OpenApiTypes.STR), OpenApiParameter("state", OpenApiTypes.STR),
                               OpenApiParameter("error", OpenApiTypes.STR)],
                   responses={302: None})
    def get(self, request, broker: str):
        try:
            connection = connection_oauth_complete(
                user=request.user, broker=broker, session_key=request.session.session_key or "",
                state=request.query_params.get("state", ""), code=request.query_params.get("code", ""),
                error=request.query_params.get("error", ""))
        except DomainError as exc:
            if "text/html" not in request.headers.get("Accept", ""):
                raise
            # A browser navigation (the exchange's redirect) gets a page with the message and a way back.
            page = render(request, "brokers/connect_failed.html", {"message": exc.message, "code": exc.code,
                                                                   "broker": broker}, status=400)
            page.browser_page = True
            return page
        return HttpResponseRedirect(f"{CONNECTIONS_PAGE}?linked={connection.broker}")


class BinanceKeysApi(APIView):
    class InputSerializer(serializers.Serializer):
        apiKey = serializers.CharField(max_length=256, trim_whitespace=True)
        apiSecret = serializers.CharField(max_length=256, trim_whitespace=True)

    @extend_schema(request=InputSerializer, responses={201: ConnectionOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = connection_link_binance(user=request.user, api_key=data.validated_data["apiKey"],
                                             api_secret=data.validated_data["apiSecret"])
        return Response(ConnectionOutputSerializer(connection).data, status=201)


class ConnectionPauseApi(APIView):
    @extend_schema(request=None, responses={200: ConnectionOutputSerializer})
    def post(self, request, ref: str):
        return Response(ConnectionOutputSerializer(connection_pause(user=request.user, ref=ref)).data)


class ConnectionResumeApi(APIView):
    @extend_schema(request=None, responses={200: ConnectionOutputSerializer})
    def post(self, request, ref: str):
        return Response(ConnectionOutputSerializer(connection_resume(user=request.user, ref=ref)).data)


class ConnectionDisconnectApi(APIView):
    @extend_schema(request=None, responses={200: ConnectionOutputSerializer})
    def post(self, request, ref: str):
        return Response(ConnectionOutputSerializer(connection_disconnect(user=request.user, ref=ref)).data)
