"""Gate REST API: contracts, intents and their decisions, friction tasks, overrides, cooldowns, personas.

Request bodies are checked against their JSON Schema (`apps.core.contracts`) by the services: a body that
breaks it is a 400 whose `fields` name the JSON path of each problem."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.contracts import contract_accepts, contract_current, contract_get, contract_list
from apps.core.errors import NotFound
from apps.core.ratelimits import rate_limit_check

from . import selectors
from .models import Decision, PretradeIntent
from .policy import PERSONA_IDS, persona_policy
from .services import decision_summary, intent_submit, intent_task_complete, override_request

INTENT_RATE = "60/m"


class ContractOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    id = serializers.CharField()
    title = serializers.CharField(source="schema.title")
    current = serializers.SerializerMethodField()
    accepts = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    schema = serializers.JSONField()

    def get_current(self, contract) -> int:
        return contract_current(kind=contract.kind, name=contract.name)

    def get_accepts(self, contract) -> list[int]:
        return contract_accepts(kind=contract.kind, name=contract.name)

    def get_url(self, contract) -> str:
        return f"/api/contracts/{contract.kind}/{contract.name}/v{contract.version}"


class ContractListApi(APIView):
    """Every JSON Schema (draft 2020-12): request bodies and event payloads, each version."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: ContractOutputSerializer(many=True)})
    def get(self, request):
        return Response({"results": ContractOutputSerializer(contract_list(), many=True).data, "nextCursor": None})


class ContractDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, kind: str, name: str, version: int):
        contract = contract_get(kind=kind, name=name, version=version)
        if contract is None:
            raise NotFound("No such contract.")
        return Response(contract.schema)


class TradeLinkSerializer(serializers.Serializer):
    id = serializers.CharField()
    side = serializers.CharField()
    qty = serializers.DecimalField(max_digits=40, decimal_places=18, coerce_to_string=True, normalize_output=True)
    price = serializers.DecimalField(max_digits=40, decimal_places=18, coerce_to_string=True, normalize_output=True)
    ts = serializers.DateTimeField()


class OverrideOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    decision = serializers.CharField()
    status = serializers.CharField()
    rationale = serializers.CharField()
    riskStatement = serializers.CharField(source="risk_statement")
    safeguards = serializers.ListField(child=serializers.CharField())
    createdAt = serializers.DateTimeField(source="created_at")
    resolvedAt = serializers.DateTimeField(source="resolved_at", allow_null=True)


class IntentOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    symbol = serializers.CharField()
    direction = serializers.CharField()
    timeframe = serializers.CharField()
    size = serializers.JSONField()
    plan = serializers.JSONField()
    risk = serializers.JSONField()
    context = serializers.JSONField()
    status = serializers.CharField()
    error = serializers.CharField()
    persona = serializers.CharField()
    decision = serializers.ChoiceField(choices=Decision.choices, allow_blank=True)
    summary = serializers.SerializerMethodField()
    reasons = serializers.JSONField()
    checks = serializers.JSONField()
    tasks = serializers.SerializerMethodField()
    until = serializers.DateTimeField(allow_null=True)
    decidedAt = serializers.DateTimeField(source="decided_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    linkedTrade = TradeLinkSerializer(source="linked_trade", allow_null=True)
    override = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.JSONField()))
    def get_tasks(self, intent: PretradeIntent) -> list[dict]:
        return selectors.intent_tasks_opened(intent=intent)

    def get_summary(self, intent: PretradeIntent) -> str:
        return decision_summary(intent.decision)

    def get_override(self, intent: PretradeIntent) -> dict | None:
        override = getattr(intent, "override", None) if hasattr(intent, "override") else None  # reverse one-to-one
        return OverrideOutputSerializer(override).data if override else None


INTENT_ACCEPTED = inline_serializer("IntentAccepted", fields={"intentId": serializers.CharField()})


class IntentListApi(APIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT, responses={202: INTENT_ACCEPTED},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        description="Body: the `pretrade-intent` contract (GET /api/contracts/).",
    )
    def post(self, request):
        rate_limit_check(request, group="gate.intent", key="user", rate=INTENT_RATE)
        intent, _ = intent_submit(user=request.user, data=request.data,
                                  idempotency_key=request.headers.get("Idempotency-Key"))
        return Response({"intentId": intent.id}, status=202)

    @extend_schema(parameters=[OpenApiParameter("cursor", str), OpenApiParameter("limit", int)],
                   responses={200: IntentOutputSerializer(many=True)})
    def get(self, request):
        page = selectors.intent_list(user=request.user, cursor=request.query_params.get("cursor"),
                                     limit=request.query_params.get("limit"))
        return Response({"results": IntentOutputSerializer(page.results, many=True).data,
                         "nextCursor": page.next_cursor})


class IntentDetailApi(APIView):
    @extend_schema(responses={200: IntentOutputSerializer})
    def get(self, request, intent_id: str):
        return Response(IntentOutputSerializer(selectors.intent_get(user=request.user, intent_id=intent_id)).data)


class IntentTaskApi(APIView):
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={200: IntentOutputSerializer})
    def post(self, request, intent_id: str, cta_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        intent = intent_task_complete(user=request.user, intent_id=intent_id, cta_id=cta_id,
                                      text=data.validated_data.get("text"))
        return Response(IntentOutputSerializer(intent).data)


class OverrideApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OverrideOutputSerializer},
                   description="Body: the `pretrade-override` contract. 409 on a GO (or an undecided intent).")
    def post(self, request, intent_id: str):
        override = override_request(user=request.user, intent_id=intent_id, data=request.data)
        return Response(OverrideOutputSerializer(override).data, status=201)


class CooldownOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    reason = serializers.CharField()
    message = serializers.CharField()
    startsAt = serializers.DateTimeField(source="starts_at")
    endsAt = serializers.DateTimeField(source="ends_at")


class CooldownActiveApi(APIView):
    @extend_schema(responses={200: inline_serializer("ActiveCooldown", {
        "cooldown": CooldownOutputSerializer(allow_null=True)})})
    def get(self, request):
        cooldown = selectors.cooldown_active(user_id=request.user.id, now=timezone.now())
        return Response({"cooldown": CooldownOutputSerializer(cooldown).data if cooldown else None})


class PersonaListApi(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        current = getattr(request.user, "persona", "") or "crypto"
        return Response({"results": [persona_policy(p) for p in PERSONA_IDS], "current": current,
                         "nextCursor": None})
