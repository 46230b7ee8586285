"""Trades REST API: start/observe imports, upload export files, column mappings, list and read trades."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import PayloadTooLarge, ValidationFailed
from apps.core.jobs import JobStatus
from apps.core.ratelimits import rate_limit_check
from apps.core.readcache import cached_json, query_key
from apps.core.validation import text_is_clean

from . import selectors
from .imports import API_BROKERS, import_job_start, upload_import_start
from .models import ImportJob, Trade
from .parsers import ParseError, detect_format, sniff_columns
from .services import MAPPING_FIELDS, column_mapping_save, idempotent_call

IMPORT_RATE = "3/m"
UPLOAD_RATE = "10/m"
HEADERS_RATE = "20/m"
MULTIPART_SLACK = 64 * 1024


def decimal_text(value: Decimal | None) -> str | None:
    """A Decimal as a plain string without trailing zeros or exponent ("0.5", "30000")."""
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@extend_schema_field(OpenApiTypes.STR)
class DecimalTextField(serializers.Field):
    def to_representation(self, value):
        return decimal_text(value)


class TradeOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    broker = serializers.CharField()
    extId = serializers.CharField(source="ext_id")
    symbol = serializers.CharField()
    side = serializers.ChoiceField(choices=Trade.SIDES)
    qty = DecimalTextField()
    price = DecimalTextField()
    fee = DecimalTextField(allow_null=True)
    feeAsset = serializers.CharField(source="fee_asset")
    quoteAsset = serializers.CharField(source="quote_asset")
    ts = serializers.DateTimeField()

    def to_representation(self, trade: Trade) -> dict:
        return {
            "id": trade.id, "broker": trade.broker, "extId": trade.ext_id, "symbol": trade.symbol,
            "side": trade.side, "qty": decimal_text(trade.qty), "price": decimal_text(trade.price),
            "fee": decimal_text(trade.fee), "feeAsset": trade.fee_asset, "quoteAsset": trade.quote_asset,
            "ts": trade.ts.isoformat().replace("+00:00", "Z"),
        }


class ImportJobOutputSerializer(serializers.Serializer):
    jobId = serializers.CharField(source="id")
    status = serializers.ChoiceField(choices=ImportJob.STATUSES)
    source = serializers.ChoiceField(choices=ImportJob.SOURCES)
    broker = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    counts = inline_serializer("ImportCounts", fields={
        "fetched": serializers.IntegerField(), "inserted": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(), "skipped": serializers.IntegerField(),
    })
    pages = serializers.IntegerField()
    attempts = serializers.IntegerField()
    error = serializers.CharField(allow_null=True)
    report = serializers.DictField(help_text="Uploads: format, skippedByType, errors [{line, reason}].")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)

    def to_representation(self, job: ImportJob) -> dict:
        def iso(value):
            return value.isoformat().replace("+00:00", "Z") if value else None

        return {
            "jobId": job.id, "status": job.status, "source": job.source, "broker": job.broker,
            "since": iso(job.since), "until": iso(job.until),
            "counts": {"fetched": job.fetched, "inserted": job.inserted, "duplicates": job.duplicates,
                       "skipped": job.skipped},
            "pages": job.pages, "attempts": job.attempts, "error": job.error or None, "report": job.report,
            "createdAt": iso(job.created_at), "updatedAt": iso(job.updated_at), "finishedAt": iso(job.finished_at),
        }


JOB_ACCEPTED = inline_serializer("ImportAccepted", fields={"jobId": serializers.CharField()})
UPLOAD_ACCEPTED = inline_serializer("UploadAccepted", fields={
    "jobId": serializers.CharField(), "repeat": serializers.BooleanField(required=False),
    "alreadyImported": serializers.IntegerField(required=False), "new": serializers.IntegerField(required=False)})


class ImportStartApi(APIView):
    """Start importing a broker's trades for a window (default: the last 30 days)."""

    class InputSerializer(serializers.Serializer):
        broker = serializers.ChoiceField(choices=API_BROKERS)
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)

    @extend_schema(
        request=InputSerializer, responses={202: JOB_ACCEPTED},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request):
        def start() -> tuple[int, dict]:
            rate_limit_check(request, group="trades.import", key="user", rate=IMPORT_RATE)
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            return 202, {"jobId": import_job_start(user=request.user, **data.validated_data).id}

        status, body = idempotent_call(user=request.user, scope="trades.import",
                                       key=request.headers.get("Idempotency-Key"), data=request.data, call=start)
        return Response(body, status=status)

    @extend_schema(responses={200: ImportJobOutputSerializer(many=True)})
    def get(self, request):
        jobs = selectors.import_jobs_recent(user=request.user, limit=20)
        return Response({"results": [ImportJobOutputSerializer(job).data for job in jobs], "nextCursor": None})


class ImportJobDetailApi(APIView):
    @extend_schema(responses={200: ImportJobOutputSerializer})
    def get(self, request, job_id: str):
        job = selectors.import_job_get(user=request.user, job_id=job_id)
        return Response(ImportJobOutputSerializer(job).data)


def _reject_oversized(request) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.UPLOAD_MAX_BYTES + MULTIPART_SLACK:
        raise PayloadTooLarge(f"The file is larger than {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB.")


def _uploaded_bytes(request) -> tuple[bytes, str]:
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed("Attach the export as the multipart field 'file'.", fields={"file": ["Required."]})
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise PayloadTooLarge(f"The file is larger than {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB.")
    return upload.read(), upload.name or ""


class UploadApi(APIView):
    """Import an exchange export file (Coinbase, Coinbase Pro, Binance, or a mapped generic CSV)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("UploadInput", fields={
            "file": serializers.FileField(), "mapping": serializers.CharField(required=False)})},
        responses={202: UPLOAD_ACCEPTED},
    )
    def post(self, request):
        _reject_oversized(request)
        rate_limit_check(request, group="trades.upload", key="user", rate=UPLOAD_RATE)
        data, filename = _uploaded_bytes(request)
        mapping_name = (request.data.get("mapping") or "").strip() or None
        if mapping_name is not None and not text_is_clean(mapping_name):
            raise ValidationFailed(fields={"mapping": ["Not a mapping name."]})
        started = timezone.now()
        job = upload_import_start(user=request.user, data=data, filename=filename, mapping_name=mapping_name)
        if job.status == JobStatus.DONE and job.created_at < started:
            # The same file again: nothing new to import; say what this upload did, not what the first one did.
            return Response({"jobId": job.id, "repeat": True, "alreadyImported": job.inserted + job.duplicates,
                             "new": 0}, status=202)
        return Response({"jobId": job.id}, status=202)


class UploadHeadersApi(APIView):
    """The header row of a CSV, the columns guessed for each field and its first rows, to map a generic file."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("HeadersInput", fields={"file": serializers.FileField()})},
        responses={200: inline_serializer("HeadersOutput", fields={
            "headers": serializers.ListField(child=serializers.CharField()), "format": serializers.CharField(),
            "guess": serializers.DictField(child=serializers.CharField()),
            "sample": serializers.ListField(child=serializers.ListField(child=serializers.CharField()))})},
    )
    def post(self, request):
        _reject_oversized(request)
        rate_limit_check(request, group="trades.upload-headers", key="user", rate=HEADERS_RATE)
        data, _ = _uploaded_bytes(request)
        try:
            columns = sniff_columns(data)
        except ParseError as exc:
            raise ValidationFailed(exc.message, code=exc.code) from exc
        try:
            detected = detect_format(data)
        except ParseError:
            detected = "generic"
        return Response({**columns, "format": detected})


class MappingOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    mapping = serializers.DictField()
    updatedAt = serializers.DateTimeField(source="updated_at")


class MappingListApi(APIView):
    """The user's saved column mappings for generic CSV sources (one per source name)."""

    class InputSerializer(serializers.Serializer):
        name = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
        mapping = serializers.DictField(child=serializers.CharField(allow_blank=True, allow_null=True,
                                                                    max_length=128))

        def validate_mapping(self, value: dict) -> dict:
            unknown = sorted(set(value) - set(MAPPING_FIELDS))
            if unknown:
                raise serializers.ValidationError(f"Unknown fields: {', '.join(unknown)}.")
            return value

    @extend_schema(responses={200: MappingOutputSerializer(many=True)})
    def get(self, request):
        presets = selectors.column_mappings_for(user=request.user)
        return Response({"results": MappingOutputSerializer(presets, many=True).data, "nextCursor": None})

    @extend_schema(request=InputSerializer, responses={201: MappingOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preset = column_mapping_save(user=request.user, **data.validated_data)
        return Response(MappingOutputSerializer(preset).data, status=201)


class TradeListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)
        symbol = serializers.RegexField(r"^[A-Za-z0-9]{1,16}-[A-Za-z0-9]{1,16}$", required=False)
        cursor = serializers.CharField(required=False, max_length=512)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=500)
        order = serializers.ChoiceField(choices=["ts", "-ts"], required=False)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: inline_serializer("TradePage", fields={
            "results": TradeOutputSerializer(many=True), "nextCursor": serializers.CharField(allow_null=True)})},
    )
    def get(self, request):
        user = request.user

        def build() -> dict:
            filters = self.FilterSerializer(data=request.query_params)
            filters.is_valid(raise_exception=True)
            params = dict(filters.validated_data)
            descending = params.pop("order", "ts") == "-ts"
            page = selectors.trade_list(user=user, descending=descending, **params)
            output = TradeOutputSerializer()  # one serializer for the page, not one per row
            return {"results": [output.to_representation(t) for t in page.results], "nextCursor": page.next_cursor}

        # Keyed by the query as sent: only a query that passed validation was ever kept, so a hit needs none.
        return cached_json(user_id=user.pk, name="trades.list", params=query_key(request), build=build)


class TradeDetailOutputSerializer(TradeOutputSerializer):
    raw = serializers.DictField(allow_null=True, help_text="What the export said beyond the trade (e.g. Coinbase's "
                                                         "spot price and spread), when it said more.")

    def to_representation(self, trade: Trade) -> dict:
        return {**super().to_representation(trade), "raw": trade.raw}


class TradeDetailApi(APIView):
    @extend_schema(responses={200: TradeDetailOutputSerializer})
    def get(self, request, trade_id: str):
        return Response(TradeDetailOutputSerializer(selectors.trade_get(user=request.user, trade_id=trade_id)).data)
