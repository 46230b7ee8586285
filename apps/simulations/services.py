"""Simulations: one trade's counterfactuals (answered at once, or as a job when candles must be fetched),
and the rule back-test over a period.

* `simulation_request_many` (and `simulation_request`, a batch of one) — the id is a hash of (user, trade,
  horizon, pullback, candle data version). A known id answers its cached document (Redis, with a TTL).
  With the candles of the window stored, the simulation is computed here and stored done (any number in a
  fixed number of round trips); otherwise a `Simulation` row is queued and
  `simulations.run` fetches the candles (`candles_ensure_many`), computes it, and in the transaction
  that marks it done appends `simulation.ready` (payload = the same document). A failure (candles the
  exchange does not have) ends the job failed and is announced the same way with its error.
* `rules_backtest_run` — a read: the period's trades, one candle read per symbol, the replay in
  `backtest`.
* `simulation_body_clean` / `backtest_body_clean` — the request bodies, checked against their contracts
  (`simulation-simple`, `simulation-rules`) and then for what a schema cannot say; `fields` name JSON paths.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from apps.bias.services.rule_checks import rule_definition_clean, rules_parse
from apps.brokers.services import candles_ensure_many
from apps.brokers.services.marketdata import candles_version, symbol_canonical
from apps.core.bulk import Conflict, JsonText, rows_insert
from apps.core.contracts import contract_errors
from apps.core.errors import (
    DomainError,
    ExternalServiceError,
    ServiceUnavailable,
    Unprocessable,
    ValidationFailed,
)
from apps.core.jobs import (
    JobStatus,
    job_claim,
    job_dispatch,
    job_done,
    job_fail,
    job_kind_register,
    job_lease_kept,
    job_locked,
)
from apps.core.validation import datetime_parse
from apps.events.services import event_append

from .backtest import backtest
from .counterfactual import DEFAULT_PULLBACK, bars_cover, candle_window, simulate
from .models import Simulation
from .selectors import (
    SimulationAsk,
    SimulationInputs,
    backtest_trades,
    bars_for,
    close_series,
    rules_active,
    simulation_get,
    simulation_inputs_many,
    trade_fifo_pairs,
    trade_for_simulation,
)

TASK = "simulations.run"
EVENT = "simulation.ready"
PULLBACK_RANGE = (Decimal("0.5"), Decimal("20"))
MAX_BACKTEST_SPAN = timedelta(days=366)
PENDING = "pending"


class CandlesUnavailable(Unprocessable):
    code = "candles_unavailable"
    default_message = "The candles this simulation needs are not available."


def _on_final(job: Simulation) -> None:
    """Announce the finished job inside the transaction that finishes it."""
    event_append(user=job.user, type=EVENT, payload=_answer_payload(job))


job_kind_register(model=Simulation, task_name=TASK, max_attempts=lambda: getattr(settings, "SIMULATION_MAX_ATTEMPTS", 3),
                  on_final=_on_final)


def _cache_key(simulation_id: str) -> str:
    return f"simulations:doc:{simulation_id}"


def _cache_ttl() -> int:
    return int(getattr(settings, "SIMULATION_CACHE_TTL", 3600))


def simulation_id_for(*, user_id: str, trade_id: str, horizon_days: int, pullback_pct: Decimal, version: int) -> str:
    key = f"{user_id}|{trade_id}|{horizon_days}|{format(pullback_pct.normalize(), 'f')}|{version}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _answer_payload(job: Simulation) -> dict:
    if job.status == JobStatus.DONE:
        return {"simulationId": job.id, "status": "done", **job.result}
    if job.status in (JobStatus.FAILED, JobStatus.PARKED):
        return {"simulationId": job.id, "status": "failed",
                "error": {"code": job.error_code or "simulation_failed", "message": job.error}}
    return {"simulationId": job.id, "status": PENDING}


def _answer(job: Simulation) -> dict:
    """The stored simulation as the API answers it; a failed one raises its error."""
    payload = _answer_payload(job)
    if payload["status"] == "failed":
        raise Unprocessable(payload["error"]["message"], code=payload["error"]["code"])
    if payload["status"] == "done":
        _cache_documents({job.id: orjson.dumps(job.result)})
    return payload


def _cache_documents(encoded: dict[str, bytes]) -> None:
    """Cache done simulations' documents (as stored in `result`, JSON-encoded) by id, in one round trip."""
    if encoded:
        cache.set_many({_cache_key(simulation_id): text for simulation_id, text in encoded.items()},
                       timeout=_cache_ttl())


def _cached_answers(simulation_ids: list[str]) -> dict[str, dict]:
    """The cached answers of the done simulations among `simulation_ids`, in one round trip."""
    found = cache.get_many([_cache_key(simulation_id) for simulation_id in simulation_ids])
    out = {}
    for simulation_id in simulation_ids:
        value = found.get(_cache_key(simulation_id))
        if isinstance(value, bytes | str):
            out[simulation_id] = {"simulationId": simulation_id, "status": "done", **orjson.loads(value)}
        elif isinstance(value, dict):  # cached as the whole answer by an earlier version
            out[simulation_id] = value
    return out


def _horizon_check(*, ts: datetime, horizon_days: int, now: datetime) -> tuple[datetime, datetime]:
    start, end = candle_window(ts, horizon_days)
    last_closed = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if end > last_closed:
        raise CandlesUnavailable(
            f"The {horizon_days}-day horizon ends at {_text(end)}, after the last closed hourly candle "
            f"({_text(last_closed)}). Choose a shorter horizon.",
            fields={"horizonDays": [f"At most {max(0, (last_closed - ts).days)} for this trade."]})
    return start, end


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _compute(*, user_id: str, trade, quote: str, bars, horizon_days: int, pullback_pct: Decimal) -> dict:
    _, end = candle_window(trade.ts, horizon_days)
    takes = trade_fifo_pairs(user_id=user_id, trade=trade, until=end)
    return simulate(trade=trade, takes=takes, bars=bars, horizon_days=horizon_days, pullback_pct=pullback_pct,
                    quote=quote)


def simulation_request(*, user, horizon_days: int, trade_id: str | None = None, symbol: str | None = None,
                       pullback_pct: Decimal = DEFAULT_PULLBACK) -> dict:
    """Answer one trade's simulation: `{simulationId, status: "done", …document}` or
    `{simulationId, status: "pending"}` when its candles must first be fetched (a job is queued).
    `simulation_request_many` with one ask."""
    ask = SimulationAsk(horizon_days=horizon_days, trade_id=trade_id, symbol=symbol, pullback_pct=pullback_pct)
    return simulation_request_many(user=user, asks=[ask])[0]


def simulation_request_many(*, user, asks: Sequence[SimulationAsk]) -> list[dict]:
    """Answer each ask as `simulation_request` does, in order, with a fixed number of round trips whatever
    their number: one query for every trade, its FIFO matches and its window's candles; the candle
    versions (one cache read per symbol) and the cached answers (one read); the simulations computed here
    stored with one insert (`ON CONFLICT DO NOTHING`: the same id always holds the same document, so a row
    stored meanwhile, or earlier with the cache expired, loses nothing) and cached with one write. Asks
    whose candles must first be fetched queue a job each.

    Every ask is checked before anything is written: an unknown trade (NotFound) or a horizon past the
    last closed candle (CandlesUnavailable) of any ask fails them all."""
    inputs = simulation_inputs_many(user=user, asks=asks)
    versions: dict[str, int] = {}
    ids = []
    for ask, item in zip(asks, inputs, strict=True):
        canonical = symbol_canonical(item.trade.symbol) or item.trade.symbol
        if canonical not in versions:
            versions[canonical] = candles_version(symbol=canonical, granularity="1h")
        ids.append(simulation_id_for(user_id=str(user.pk), trade_id=item.trade.id, horizon_days=ask.horizon_days,
                                     pullback_pct=ask.pullback_pct, version=versions[canonical]))
    answers = _cached_answers(ids)
    now = timezone.now()
    todo: dict[str, tuple[SimulationAsk, SimulationInputs, datetime]] = {}
    for ask, item, simulation_id in zip(asks, inputs, ids, strict=True):
        if simulation_id not in answers and simulation_id not in todo:
            _, end = _horizon_check(ts=item.trade.ts, horizon_days=ask.horizon_days, now=now)
            todo[simulation_id] = (ask, item, end)
    rows, encoded, queued = [], {}, []
    for simulation_id, (ask, item, end) in todo.items():
        version = str(versions[symbol_canonical(item.trade.symbol) or item.trade.symbol])
        if not bars_cover(item.bars, ts=item.trade.ts, end=end):
            queued.append((simulation_id, {"trade_id": item.trade.id, "horizon_days": ask.horizon_days,
                                           "pullback_pct": ask.pullback_pct, "candle_version": version}))
            continue
        document = simulate(trade=item.trade, takes=item.takes, bars=item.bars, horizon_days=ask.horizon_days,
                            pullback_pct=ask.pullback_pct, quote=item.quote)
        encoded[simulation_id] = orjson.dumps(document)
        rows.append([simulation_id, user.pk, item.trade.id, ask.horizon_days, ask.pullback_pct, version,
                     JobStatus.DONE.value, JsonText(encoded[simulation_id].decode()), now, 0, "", "", ""])
        answers[simulation_id] = {"simulationId": simulation_id, "status": "done", **document}
    if rows:
        with transaction.atomic():
            _toast_with_lz4()
            rows_insert(Simulation, DONE_COLUMNS, rows, conflict=Conflict(("id",)))
        _cache_documents(encoded)
    for simulation_id, fields in queued:
        with transaction.atomic():
            row, created = Simulation.objects.get_or_create(id=simulation_id, defaults={
                **fields, "user": user, "status": JobStatus.QUEUED})
            if created:
                job_dispatch(task_name=TASK, job_id=row.id)
        answers[simulation_id] = _answer(row)
    return [answers[simulation_id] for simulation_id in ids]


# a done simulation's row, written by `simulation_request_many` (`created_at`, `updated_at` filled in)
DONE_COLUMNS = ("id", "user_id", "trade_id", "horizon_days", "pullback_pct", "candle_version", "status", "result",
                "finished_at", "attempts", "lease_owner", "error", "error_code")


def _toast_with_lz4() -> None:
    """Documents (~10 KB of JSON) pass PostgreSQL's TOAST threshold and are compressed as they are written,
    first into `rows_insert`'s staging table, which takes the default method: lz4 (PostgreSQL 14+, as the
    column, see migration 0002) costs several times less than pglz. For the rest of this transaction."""
    if connection.vendor == "postgresql" and connection.pg_version >= 140000:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")


def simulation_document(*, user, simulation_id: str) -> dict:
    """A stored simulation: done (its document), pending, or its error raised."""
    cached = _cached_answers([simulation_id]).get(simulation_id)
    if cached is not None:
        simulation_get(user=user, simulation_id=simulation_id)  # scoped: another user's id is not found
        return cached
    return _answer(simulation_get(user=user, simulation_id=simulation_id))


def simulation_execute(*, job_id: str) -> Simulation | None:
    """Run one queued simulation: fetch its candles, compute, store, announce (see the module docstring)."""
    job, owner = job_claim(task_name=TASK, job_id=job_id)
    if owner is None:
        return job
    try:
        with job_lease_kept(task_name=TASK, job_id=job_id, owner=owner):
            document = _execute_compute(job)
    except (ExternalServiceError, ServiceUnavailable) as exc:  # the exchange or a service of ours: passes by itself
        return job_fail(task_name=TASK, job_id=job_id, owner=owner, retry=True,
                        error=f"{exc.message} It is retried automatically.")
    except DomainError as exc:
        with transaction.atomic():
            locked = job_locked(task_name=TASK, job_id=job_id, owner=owner)
            if locked is None:
                return Simulation.objects.filter(id=job_id).first()
            locked.error_code = exc.code
            locked.save(update_fields=["error_code", "lease_expires_at", "updated_at"])
            return job_fail(task_name=TASK, job_id=job_id, owner=owner, error=exc.message, retry=False)
    except Exception as exc:
        return job_fail(task_name=TASK, job_id=job_id, owner=owner, retry=True,
                        error=f"The simulation stopped on our side ({type(exc).__name__}); it is retried automatically.")
    with transaction.atomic():
        locked = job_locked(task_name=TASK, job_id=job_id, owner=owner)
        if locked is None:
            return Simulation.objects.filter(id=job_id).first()
        locked.result = document
        locked.save(update_fields=["result", "lease_expires_at", "updated_at"])
        job_done(task_name=TASK, job=locked)
        transaction.on_commit(lambda: _cache_documents({job_id: orjson.dumps(document)}))
    return locked


def _execute_compute(job: Simulation) -> dict:
    trade, quote = trade_for_simulation(user=job.user_id, trade_id=job.trade_id)
    start, end = _horizon_check(ts=trade.ts, horizon_days=job.horizon_days, now=timezone.now())
    candles_ensure_many(windows=[(trade.symbol, start, end)], granularity="1h")
    bars = bars_for(symbol=trade.symbol, start=start, end=end)
    if not bars_cover(bars, ts=trade.ts, end=end):
        raise CandlesUnavailable(f"The exchange has no hourly candles for {trade.symbol} from {_text(trade.ts)} "
                                 f"to {_text(end)}.")
    return _compute(user_id=job.user_id, trade=trade, quote=quote, bars=bars, horizon_days=job.horizon_days,
                    pullback_pct=job.pullback_pct)


# --- request bodies ------------------------------------------------------------------------------------

def _contract_checked(*, name: str, data, extra) -> dict:
    """`data` against the request contract `name`, then `extra(data, fields)` for what a schema cannot say
    (it may add problems to `fields` and returns the cleaned values). Raises ValidationFailed with every
    problem by JSON path."""
    fields = contract_errors(kind="requests", name=name, data=data)
    values = extra(data, fields) if isinstance(data, dict) else {}
    if fields:
        raise ValidationFailed("The request does not match its contract.", code="invalid", fields=fields)
    return values


def simulation_body_clean(*, data) -> dict:
    """A `POST /api/simulations/simple` body → the keyword arguments of `simulation_request`."""
    def extra(body: dict, fields: dict) -> dict:
        given = [name for name in ("tradeId", "symbol") if body.get(name)]
        if len(given) != 1:
            for name in ("tradeId", "symbol"):
                fields.setdefault(f"$.{name}", []).append("Give exactly one of tradeId and symbol.")
        pullback = body.get("pullbackPct", DEFAULT_PULLBACK)
        if "$.pullbackPct" not in fields:
            pullback = Decimal(str(pullback))
            if not PULLBACK_RANGE[0] <= pullback <= PULLBACK_RANGE[1]:
                fields["$.pullbackPct"] = ["A percentage from 0.5 to 20."]
        horizon = body.get("horizonDays")
        return {"trade_id": body.get("tradeId") or None, "symbol": body.get("symbol") or None,
                "horizon_days": int(horizon) if isinstance(horizon, int | float) else horizon,
                "pullback_pct": pullback}

    return _contract_checked(name="simulation-simple", data=data, extra=extra)


def backtest_body_clean(*, data) -> dict:
    """A `POST /api/simulations/rules` body → the keyword arguments of `rules_backtest_run`."""
    def moment(body: dict, fields: dict, name: str, **options) -> datetime | None:
        if f"$.{name}" in fields:
            return None
        try:
            return datetime_parse(body.get(name), field=name, **options)
        except ValidationFailed as exc:
            fields[f"$.{name}"] = [message for messages in exc.fields.values() for message in messages]
            return None

    def extra(body: dict, fields: dict) -> dict:
        since, until = moment(body, fields, "since"), moment(body, fields, "until", end_of_day=True)
        if since is not None and until is not None:
            if since >= until:
                fields["$.until"] = ["Must be after since."]
            elif until - since > MAX_BACKTEST_SPAN:
                fields["$.since"] = ["The period can be at most 366 days."]
        rules = body.get("rules")
        if isinstance(rules, list) and not any(key.startswith("$.rules") for key in fields):
            try:
                rules = rules_clean(rules=rules)
            except ValidationFailed as exc:
                fields.update(exc.fields)
        return {"since": since, "until": until, "rules": rules}

    return _contract_checked(name="simulation-rules", data=data, extra=extra)


# --- the rule back-test ---------------------------------------------------------------------------------

def rules_clean(*, rules: list) -> list[dict]:
    """Validate `[{kind, params}]` tried in a back-test; ValidationFailed names `$.rules[<i>].<field>`."""
    errors: dict[str, list[str]] = {}
    clean = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            errors[f"$.rules[{i}]"] = ["Must be an object with kind and params."]
            continue
        kind = rule.get("kind")
        if not isinstance(kind, str):
            errors[f"$.rules[{i}].kind"] = ["This field is required."]
            continue
        params, problems = rule_definition_clean(kind=kind, params=rule.get("params", {}))
        for field, messages in problems.items():
            errors[f"$.rules[{i}].{field}"] = messages
        if not problems:
            clean.append({"kind": kind, "params": params})
    if errors:
        raise ValidationFailed("Some rules are not valid.", fields=errors)
    return clean


def rules_backtest_run(*, user, since: datetime, until: datetime, rules: list | None = None) -> dict:
    """The user's trades in [since, until) replayed under `rules` (default: the user's active rules)."""
    chosen = rules_active(user=user) if rules is None else rules_clean(rules=rules)
    parsed = rules_parse(rules=chosen)
    trades = backtest_trades(user=user, since=since, until=until)
    end = min(until, timezone.now())
    lookback = max((values["lookbackHours"] for rule, values in parsed
                    if rule.kind == "avoidSpikeOverPct" and values), default=0)
    series = close_series(symbols={t.symbol for t in trades}, start=since - timedelta(hours=lookback + 4), end=end)
    document = backtest(trades=trades, rules=chosen, parsed=parsed, series=series, end=end)
    return {"since": since.isoformat(), "until": until.isoformat(), "tradeCount": len(trades), **document}
