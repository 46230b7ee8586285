"""The scoring engine as a signed service API (/v1/…): HMAC over timestamp + body, no session, no CSRF."""
from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers

from apps.core.api import flatten_fields
from apps.core.errors import PayloadTooLarge, ValidationFailed
from apps.core.parsing import json_parse

from . import engine
from .engine_io import candles_frame_from_rows, frame_to_rows, json_safe
from .rules import RULE_PARAMS, rule_params_clean
from .services.signing import SignatureInvalid, engine_request_verify


class CandleSerializer(serializers.Serializer):
    ts = serializers.DateTimeField()
    open = serializers.DecimalField(max_digits=40, decimal_places=18)
    high = serializers.DecimalField(max_digits=40, decimal_places=18)
    low = serializers.DecimalField(max_digits=40, decimal_places=18)
    close = serializers.DecimalField(max_digits=40, decimal_places=18)
    volume = serializers.DecimalField(max_digits=40, decimal_places=18, min_value=0)

    def validate(self, attrs):
        if attrs["low"] > attrs["high"]:
            raise serializers.ValidationError("low is above high.")
        return attrs


class IndicatorsInput(serializers.Serializer):
    candles = CandleSerializer(many=True, allow_empty=False, max_length=20000)


class TradeSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    symbol = serializers.CharField(max_length=32)
    side = serializers.ChoiceField(choices=engine.SIDES)
    qty = serializers.DecimalField(max_digits=40, decimal_places=18, min_value=0)
    price = serializers.DecimalField(max_digits=40, decimal_places=18, min_value=0)
    fee = serializers.DecimalField(max_digits=40, decimal_places=18, min_value=0, required=False, allow_null=True)
    ts = serializers.DateTimeField()


class RuleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(RULE_PARAMS))
    params = serializers.DictField()

    def validate(self, attrs):
        clean, errors = rule_params_clean(kind=attrs["kind"], params=attrs["params"])
        if errors:
            raise serializers.ValidationError(errors)
        return {"kind": attrs["kind"], "params": clean}


class ScoreInput(serializers.Serializer):
    trades = TradeSerializer(many=True, allow_empty=False, max_length=20000)
    candles = serializers.DictField(child=CandleSerializer(many=True))
    rules = RuleSerializer(many=True, required=False, default=list)


class ReflectInput(serializers.Serializer):
    label = serializers.ChoiceField(choices=engine.LABELS)
    features = serializers.DictField(required=False, default=dict)
    tone = serializers.ChoiceField(choices=["supportive", "strict"], required=False, default="supportive")


def signed_engine_view(input_serializer):
    """POST only; size limit, then signature, then JSON body validated by `input_serializer`."""
    def decorate(func):
        @csrf_exempt
        @require_POST
        @wraps(func)
        def view(request: HttpRequest):
            limit = settings.ENGINE_API_MAX_BODY
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError as exc:
                raise SignatureInvalid("Content-Length is not valid.") from exc
            if declared > limit:
                raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
            body = request.read(limit + 1)
            if len(body) > limit:
                raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
            engine_request_verify(timestamp=request.headers.get("X-Timestamp"),
                                  signature=request.headers.get("X-Signature"), body=body)
            payload = json_parse(body or b"null", max_bytes=limit)
            data = input_serializer(data=payload)
            if not data.is_valid():
                raise ValidationFailed(fields=flatten_fields(data.errors))
            return JsonResponse(func(data.validated_data))
        return view
    return decorate


@signed_engine_view(IndicatorsInput)
def indicators(data: dict) -> dict:
    frame = engine.compute_indicators(candles_frame_from_rows(data["candles"]))
    return {"engineVersion": engine.ENGINE_VERSION, "indicators": frame_to_rows(frame)}


@signed_engine_view(ScoreInput)
def bias_score(data: dict) -> dict:
    trades = [engine.TradeInput(id=t["id"], symbol=t["symbol"], side=t["side"], qty=t["qty"], price=t["price"],
                                fee=t.get("fee"), ts=t["ts"]) for t in data["trades"]]
    candles = {symbol: candles_frame_from_rows(rows) for symbol, rows in data["candles"].items()}
    rules = [engine.RuleInput(kind=r["kind"], params=r["params"]) for r in data["rules"]]
    result = engine.score_trades(trades=trades, candles=candles, rules=rules)
    return {
        "engineVersion": engine.ENGINE_VERSION,
        "tags": [{"tradeId": t.trade_id, "label": t.label, "confidence": round(float(t.confidence), 4),
                  "features": json_safe(t.features)} for t in result.tags],
        "positions": [{"tradeId": p.trade_id, "realizedPnl": json_safe(p.realized_pnl), "heldHours": p.held_hours,
                       "matchedQty": json_safe(p.matched_qty), "unmatchedQty": json_safe(p.unmatched_qty)}
                      for p in result.positions.values()],
        "disposition": json_safe(result.disposition),
    }


@signed_engine_view(ReflectInput)
def nlg_reflect(data: dict) -> dict:
    reflection = engine.reflect(label=data["label"], features=data["features"], tone=data["tone"])
    return {"text": reflection.text, "tone": reflection.tone, "bias": reflection.bias,
            "lint": engine.lint_reflection(reflection.text)}
