"""REST endpoints: performance figures (summary, equity, calendar, breakdowns); account export and delete."""
from __future__ import annotations

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import ValidationFailed
from apps.core.ratelimits import failures_limited, rate_limit_check
from apps.core.validation import datetime_parse, opaque_id_valid, text_is_clean

from . import market, selectors
from .selectors import Filters
from .services import deletion, exports

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


CURRENCY_PARAMETER = OpenApiParameter(
    "currency", str, enum=list(market.REPORTING_CURRENCIES),
    description="Also convert to this currency at each exit's time from stored candles (an estimate)")


def reporting_currency(request) -> str | None:
    value = request.query_params.get("currency", "").upper()
    if not value:
        return None
    if value not in market.REPORTING_CURRENCIES:
        raise ValidationFailed(fields={"currency": [f"Choose one of: {', '.join(market.REPORTING_CURRENCIES)}."]})
    return value


class SummaryApi(APIView):
    @extend_schema(parameters=[*FILTER_PARAMETERS, CURRENCY_PARAMETER], responses={200: JSON_OBJECT},
                   summary="Win rate, profit factor, expectancy, streaks, holds and fees per quote currency")
    def get(self, request):
        filters, currency = filters_from(request), reporting_currency(request)
        body = selectors.performance_summary(user=request.user, filters=filters)
        if currency:
            body["reporting"] = market.reporting(user=request.user, filters=filters, currency=currency)
        return Response(body)


class EquityApi(APIView):
    @extend_schema(parameters=[*FILTER_PARAMETERS, CURRENCY_PARAMETER], responses={200: JSON_OBJECT},
                   summary="Cumulative realised P/L per day with drawdown, per quote currency")
    def get(self, request):
        filters, currency = filters_from(request), reporting_currency(request)
        body = selectors.equity_curve(user=request.user, filters=filters)
        if currency:
            body["reporting"] = market.reporting(user=request.user, filters=filters, currency=currency)
        return Response(body)


class ExcursionsApi(APIView):
    @extend_schema(parameters=[*FILTER_PARAMETERS, OpenApiParameter("tradeId", str, description="One exit only"),
                               OpenApiParameter("limit", int, description=(
                                   f"Newest closed positions in the scatter (default {market.DEFAULT_SCATTER}, "
                                   f"≤ {market.MAX_SCATTER}); the counts and averages cover them all"))],
                   responses={200: JSON_OBJECT},
                   summary="MAE, MFE and exit efficiency of the newest closed positions (from hourly candles)")
    def get(self, request):
        trade_id = request.query_params.get("tradeId") or None
        if trade_id is not None and not opaque_id_valid(trade_id):
            raise ValidationFailed(fields={"tradeId": ["Not a trade id."]})
        wrong = ValidationFailed(fields={"limit": [f"A whole number from 1 to {market.MAX_SCATTER}."]})
        try:
            limit = int(request.query_params.get("limit", market.DEFAULT_SCATTER))
        except ValueError as exc:
            raise wrong from exc
        if not 1 <= limit <= market.MAX_SCATTER:
            raise wrong
        body = market.excursions(user=request.user, filters=filters_from(request), trade_id=trade_id, limit=limit)
        return HttpResponse(body, content_type="application/json")


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


# --- account export and delete --------------------------------------------------------------------------

EXPORT_RATE = "2/h"
DELETE_FAILURE_RATE = "5/15m"  # wrong passwords on the delete form, per account


class ExportOutputSerializer(serializers.Serializer):
    jobId = serializers.CharField(source="id")
    status = serializers.CharField()
    url = serializers.SerializerMethodField()
    expiresAt = serializers.DateTimeField(source="expires_at", allow_null=True)
    size = serializers.IntegerField()
    tables = serializers.DictField(child=serializers.IntegerField())
    error = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)

    def get_url(self, job) -> str | None:
        return exports.export_link(job=job)


class ExportStartApi(APIView):
    @extend_schema(request=None, responses={202: inline_serializer("ExportStarted", {"jobId": serializers.CharField()})},
                   summary="Export everything you own (ZIP of JSON and CSV); export.ready announces the link")
    def post(self, request):
        rate_limit_check(request, group="analytics.export", key="user", rate=EXPORT_RATE)
        job = exports.export_request(user=request.user, session_key=request.session.session_key or "")
        return Response({"jobId": job.id}, status=202)


class ExportStatusApi(APIView):
    @extend_schema(responses={200: ExportOutputSerializer}, summary="An export's state and, while valid, its link")
    def get(self, request, job_id: str):
        return Response(ExportOutputSerializer(exports.export_get(user=request.user, job_id=job_id)).data)


class ExportDownloadApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("token", str, required=True)],
                   responses={(200, "application/zip"): OpenApiTypes.BINARY},
                   summary="Download an export: only its owner, from the session that asked, for 15 minutes")
    def get(self, request, job_id: str):
        job, handle = exports.export_file_for_download(
            user=request.user, session_key=request.session.session_key or "", job_id=job_id,
            token=request.query_params.get("token", ""))
        return FileResponse(handle, as_attachment=True, filename=f"twin-export-{job.id}.zip",
                            content_type="application/zip")


class AccountDataApi(APIView):
    @extend_schema(responses={200: JSON_OBJECT}, summary="What your account holds: rows per table and stored files")
    def get(self, request):
        return Response(selectors.account_data_counts(user=request.user))


class AccountDeleteApi(APIView):
    class InputSerializer(serializers.Serializer):
        password = serializers.CharField(trim_whitespace=False, max_length=4096)
        confirm = serializers.CharField(max_length=16)

    @extend_schema(request=InputSerializer,
                   responses={200: inline_serializer("AccountDeleted", {"deleted": serializers.BooleanField()})},
                   summary="Delete your account and everything it owns (password and confirm: DELETE)")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with failures_limited(request, group="analytics.account-delete", key_value=str(request.user.pk),
                              rate=DELETE_FAILURE_RATE, failure=ValidationFailed):
            deletion.account_delete(request=request, **data.validated_data)
        return Response({"deleted": True})
