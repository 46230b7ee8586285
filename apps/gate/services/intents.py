"""Pre-trade intents: submitted (row + `pretrade.intent.submitted`, one transaction), decided on the `gate`
queue (a durable job: the intent row is the job), overridden with reasons (audited), and linked to the
trade that followed once it is imported."""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.services import audit_record
from apps.brokers.services import candles_ensure, secret_seal
from apps.core.contracts import contract_validate
from apps.core.errors import Conflict, NotFound, Unprocessable, ValidationFailed
from apps.core.jobs import job_dispatch, job_kind_register, job_run
from apps.core.validation import text_is_clean
from apps.events.services import event_append
from apps.trades.selectors import trade_queryset

from ..decide import TIMEFRAME_HOURS, IntentInput, gate_decide
from ..messages import message
from ..models import Decision, Override, PretradeIntent
from ..selectors import MARKET_WARMUP_HOURS, TASK_TEXT_FIELD, gate_state, intent_get, task_text_record, user_policy
from .cooldowns import cooldown_for_losses

TASK = "gate.intent_evaluate"
MAX_KEY_LENGTH = 255
LINK_LOOKBACK = timedelta(days=90)  # intents older than this are not linked to trades imported later
OVERRIDABLE = (Decision.WAIT, Decision.SIZE_DOWN, Decision.NO_GO)

job_kind_register(model=PretradeIntent, task_name=TASK, max_attempts=lambda: settings.GATE_MAX_ATTEMPTS)


def _decimal(value, *, path: str, positive: bool = True) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationFailed(fields={path: ["Must be a decimal number."]}) from exc
    if not number.is_finite() or (positive and number <= 0):
        raise ValidationFailed(fields={path: ["Must be greater than zero."]})
    return number


def _intent_input(data: dict) -> IntentInput:
    size, plan, risk, context = data["size"], data["plan"], data.get("risk") or {}, data.get("context") or {}
    entry = _decimal(plan["entry"], path="$.plan.entry")
    return IntentInput(
        symbol=data["symbol"].upper(), direction=data["direction"], entry=entry,
        qty=_decimal(size["qty"], path="$.size.qty") if "qty" in size else None,
        quote_amount=_decimal(size["quoteAmount"], path="$.size.quoteAmount") if "quoteAmount" in size else None,
        stop=_decimal(plan["stop"], path="$.plan.stop") if plan.get("stop") is not None else None,
        target=_decimal(plan["target"], path="$.plan.target") if plan.get("target") is not None else None,
        risk_pct=_decimal(risk["riskPct"], path="$.risk.riskPct") if risk.get("riskPct") is not None else None,
        max_loss=_decimal(risk["maxLoss"], path="$.risk.maxLoss") if risk.get("maxLoss") is not None else None,
        capital=_decimal(context["capital"], path="$.context.capital") if context.get("capital") is not None else None,
    )


def _stored(value) -> str:
    """Decimals as exact strings in the stored JSON."""
    return format(_decimal(value, path="$", positive=False).normalize(), "f")


def intent_from_row(intent: PretradeIntent) -> IntentInput:
    return _intent_input({"symbol": intent.symbol, "direction": intent.direction, "size": intent.size,
                          "plan": intent.plan, "risk": intent.risk, "context": intent.context})


def _texts_clean(data: dict) -> None:
    for path, value in (("$.plan.thesis", data["plan"].get("thesis")),
                        ("$.context.notes", (data.get("context") or {}).get("notes"))):
        if isinstance(value, str) and not text_is_clean(value):
            raise ValidationFailed(fields={path: ["Contains characters that cannot be stored."]})


def intent_submit(*, user, data, idempotency_key: str | None = None) -> tuple[PretradeIntent, bool]:
    """Validate `data` against the pretrade-intent contract, store the intent and `pretrade.intent.submitted`
    in one transaction, and queue it for the gate. With an `Idempotency-Key`, a repeat with the same body is
    the same intent (created False); another body with that key is refused (422)."""
    contract_validate(kind="requests", name="pretrade-intent", data=data)
    _texts_clean(data)
    parsed = _intent_input(data)
    key = idempotency_key
    if key is not None and (not 0 < len(key) <= MAX_KEY_LENGTH or not text_is_clean(key)):
        raise ValidationFailed(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                               fields={"Idempotency-Key": ["Invalid length."]})
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    with transaction.atomic():
        if key:
            existing = PretradeIntent.objects.filter(user=user, idempotency_key=key).first()
            if existing is not None:
                return _same_request(existing, digest), False
        plan = {"entry": _stored(parsed.entry), "stop": _stored(parsed.stop) if parsed.stop else None,
                "target": _stored(parsed.target) if parsed.target else None, "thesis": data["plan"]["thesis"]}
        size = {name: _stored(value) for name, value in data["size"].items()}
        risk = {name: (float(value) if name == "riskPct" else _stored(value))
                for name, value in (data.get("risk") or {}).items()}
        context = {name: (_stored(value) if name == "capital" else value)
                   for name, value in (data.get("context") or {}).items()}
        fields = dict(user=user, symbol=parsed.symbol, direction=parsed.direction, timeframe=data["timeframe"],
                      size=size, plan=plan, risk=risk, context=context, idempotency_key=key or "",
                      request_digest=digest, persona=getattr(user, "persona", "") or "crypto")
        if not key:
            intent = PretradeIntent.objects.create(**fields)
        else:
            try:
                with transaction.atomic():  # a savepoint: a concurrent request may commit the same key first
                    intent = PretradeIntent.objects.create(**fields)
            except IntegrityError:
                existing = PretradeIntent.objects.filter(user=user, idempotency_key=key).first()
                if existing is None:
                    raise
                return _same_request(existing, digest), False
        event_append(user=user, type="pretrade.intent.submitted", payload={
            "intentId": intent.id, "symbol": intent.symbol, "direction": intent.direction,
            "timeframe": intent.timeframe, "submittedAt": intent.created_at.isoformat()})
        job_dispatch(task_name=TASK, job_id=intent.id)
    return intent, True


def _same_request(existing: PretradeIntent, digest: str) -> PretradeIntent:
    if existing.request_digest != digest:
        raise Unprocessable("This Idempotency-Key was already used with a different request.",
                            code="idempotency_key_reused")
    return existing


def decision_payload(intent: PretradeIntent) -> dict:
    return {"intentId": intent.id, "symbol": intent.symbol, "direction": intent.direction,
            "decision": intent.decision, "reasons": intent.reasons,
            "until": intent.until.isoformat() if intent.until else None, "tasks": intent.tasks,
            "persona": intent.persona, "decidedAt": intent.decided_at.isoformat()}


def _market_fetch(*, symbol: str, hours: int) -> None:
    """Fetch the hourly candles the market check needs that are not stored yet (on the gate's worker, never
    in a request). A market the exchange does not answer for is judged on what is stored."""
    if not settings.GATE_FETCH_CANDLES:
        return
    now = timezone.now()
    try:
        candles_ensure(symbol=symbol, granularity="1h", start=now - timedelta(hours=hours + MARKET_WARMUP_HOURS),
                       end=now)
    except Exception:  # noqa: BLE001 - the market check then reports "not enough candles"
        pass


def intent_evaluate(*, intent_id: str) -> PretradeIntent | None:
    """The gate's job: decide the intent, write the decision and `pretrade.decision.returned` in one transaction
    (with the cooldown a losing streak starts, if any)."""

    def decide(claimed: PretradeIntent):
        user = claimed.user
        policy = user_policy(user=user)
        spike = policy.rules.get("avoidSpikeOverPct") or {}
        _market_fetch(symbol=claimed.symbol,
                      hours=max(int(policy.gate["market"]["lookbackHours"]), int(spike.get("lookbackHours", 0)), 24))
        now = timezone.now()
        state = gate_state(user=user, symbol=claimed.symbol, policy=policy, now=now)
        verdict = gate_decide(intent=intent_from_row(claimed), rules=policy.rules, gate=policy.gate, state=state,
                              tone=user.coach_tone, habit_index=int(hashlib.sha256(claimed.id.encode()).hexdigest()[:8], 16))
        return user, policy, state, verdict, now

    def write(locked: PretradeIntent, decided) -> None:
        user, policy, state, verdict, now = decided
        if any(r["code"] == "loss_streak" for r in verdict.reasons) and state.cooldown is None:
            cooldown_for_losses(user=user, policy=policy, streak=state.loss_streak, last_loss=state.last_loss)
        locked.persona, locked.decision, locked.reasons = policy.persona, verdict.decision, verdict.reasons
        locked.checks, locked.tasks, locked.until, locked.decided_at = verdict.checks, verdict.tasks, verdict.until, now
        locked.save(update_fields=["persona", "decision", "reasons", "checks", "tasks", "until", "decided_at",
                                   "lease_expires_at", "updated_at"])
        event_append(user=user, type="pretrade.decision.returned", payload=decision_payload(locked))

    return job_run(task_name=TASK, job_id=intent_id, work=decide, finish=write,
                   crash_message="The gate stopped on our side ({error}); it is retried automatically.")


def decision_summary(decision: str) -> str:
    return message(f"decision_{decision}") if decision else ""


@transaction.atomic
def intent_task_complete(*, user, intent_id: str, cta_id: str, text: str | None = None) -> PretradeIntent:
    """Mark one of the intent's friction tasks done (a journal entry keeps its text)."""
    intent = intent_get(user=user, intent_id=intent_id)
    intent = PretradeIntent.objects.select_for_update().get(pk=intent.pk)
    task = next((t for t in intent.tasks if t["ctaId"] == cta_id), None)
    if task is None:
        raise NotFound("No such task on this intent.", code="unknown_task")
    if task["kind"] == "journal_pre":
        if not isinstance(text, str) or not text.strip() or len(text) > 2000 or not text_is_clean(text):
            raise ValidationFailed("Write your note first (up to 2000 characters).", fields={"text": ["Required."]})
        sealed = secret_seal(user_id=user.id, record_id=task_text_record(intent_id=intent.id, cta_id=cta_id),
                             field_name=TASK_TEXT_FIELD, plaintext=text.strip())
        task["payload"] = {**task["payload"], "text": "", "textSealed": base64.b64encode(sealed).decode()}
    task["status"] = "done"
    intent.save(update_fields=["tasks", "updated_at"])
    return intent


def override_request(*, user, intent_id: str, data) -> Override:
    """Go ahead against a WAIT, SIZE_DOWN or NO_GO: the override is recorded (`pretrade.override.requested`),
    audited, and acknowledged at once (`pretrade.override.resolved`) — the trader keeps control."""
    contract_validate(kind="requests", name="pretrade-override", data=data)
    for path, value in (("$.rationale", data["rationale"]), ("$.riskStatement", data["riskStatement"]),
                        *((f"$.safeguards[{i}]", s) for i, s in enumerate(data["safeguards"]))):
        if not text_is_clean(value) or not value.strip():
            raise ValidationFailed(fields={path: ["Must be readable text."]})
    if len(data["rationale"].strip()) < 20:
        raise ValidationFailed(fields={"$.rationale": ["Explain in at least 20 characters why you go ahead anyway."]})
    with transaction.atomic():
        intent = intent_get(user=user, intent_id=intent_id)
        intent = PretradeIntent.objects.select_for_update().get(pk=intent.pk)
        if not intent.decision:
            raise Conflict("The gate has not decided this intent yet.", code="not_decided")
        if intent.decision not in OVERRIDABLE:
            raise Conflict(f"A {intent.decision} decision has nothing to override.", code="not_overridable")
        if Override.objects.filter(intent=intent).exists():
            raise Conflict("This intent was already overridden.", code="already_overridden")
        override = Override.objects.create(intent=intent, user=user, decision=intent.decision,
                                           rationale=data["rationale"].strip(),
                                           risk_statement=data["riskStatement"].strip(),
                                           safeguards=[s.strip() for s in data["safeguards"]])
        event_append(user=user, type="pretrade.override.requested", payload={
            "intentId": intent.id, "overrideId": override.id, "decision": override.decision,
            "rationale": override.rationale, "riskStatement": override.risk_statement,
            "safeguards": override.safeguards})
        override.status, override.resolved_at = "acknowledged", timezone.now()
        override.save(update_fields=["status", "resolved_at"])
        audit_record(user=user, action="pretrade_override",
                     meta={"intentId": intent.id, "overrideId": override.id, "decision": override.decision,
                           "reasons": [r["code"] for r in intent.reasons]})
        event_append(user=user, type="pretrade.override.resolved", payload={
            "intentId": intent.id, "overrideId": override.id, "status": override.status,
            "resolvedAt": override.resolved_at.isoformat()})
    return override


def intents_link_trades(*, user_id: str) -> int:
    """Link each decided, unlinked intent of the user to the first trade after it on the same market and in
    its direction (BUY for long, SELL for short) within its timeframe. Inside the caller's transaction. -> links."""
    linked = 0
    taken = set(PretradeIntent.objects.filter(user_id=user_id, linked_trade__isnull=False)
                .values_list("linked_trade_id", flat=True))
    for intent in (PretradeIntent.objects.select_for_update()
                   .filter(user_id=user_id, linked_trade__isnull=True, created_at__gte=timezone.now() - LINK_LOOKBACK)
                   .exclude(decision="").order_by("created_at")):
        window = timedelta(hours=TIMEFRAME_HOURS.get(intent.timeframe, 24))
        side = "BUY" if intent.direction == "long" else "SELL"
        trade = (trade_queryset().filter(user_id=user_id, symbol=intent.symbol, side=side,
                                         ts__gte=intent.created_at, ts__lte=intent.created_at + window)
                 .exclude(id__in=taken).order_by("ts", "id").first())
        if trade is None:
            continue
        intent.linked_trade, intent.linked_at = trade, timezone.now()
        intent.save(update_fields=["linked_trade", "linked_at", "updated_at"])
        taken.add(trade.id)
        linked += 1
    return linked
