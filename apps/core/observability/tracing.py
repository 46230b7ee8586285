"""OpenTelemetry traces, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

When on: spans for every Django request (HTTP pages, the API, the signed `/v1` engine calls), every Celery
task (the trace context travels in the task's headers, so a task's span is a child of the request that
sent it), every PostgreSQL statement (psycopg) and every outbound HTTP call (httpx: the exchanges, market
data, the optional LLM). Exported over OTLP/HTTP in batches; the standard `OTEL_*` variables apply
(`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`, …).
"""
from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger(__name__)

_state: dict = {"provider": None}
_lock = threading.Lock()


def tracing_enabled() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def tracing_start(*, exporter=None, simple: bool = False):
    """Install the tracer provider and the instrumentations (once per process). `exporter` defaults to
    OTLP/HTTP from the environment; `simple` exports each span as it ends (tests) instead of in batches."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    with _lock:
        if _state["provider"] is not None:
            return _state["provider"]
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "twin")})
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(SimpleSpanProcessor(exporter) if simple else BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        DjangoInstrumentor().instrument(tracer_provider=provider)
        CeleryInstrumentor().instrument(tracer_provider=provider)
        PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
        HTTPXClientInstrumentor().instrument(tracer_provider=provider)
        _state["provider"] = provider
    logger.info("OpenTelemetry tracing on")
    return provider


def tracing_stop() -> None:
    """Undo `tracing_start` (tests)."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    with _lock:
        provider = _state["provider"]
        if provider is None:
            return
        for instrumentor in (DjangoInstrumentor(), CeleryInstrumentor(), PsycopgInstrumentor(),
                             HTTPXClientInstrumentor()):
            instrumentor.uninstrument()
        provider.shutdown()
        _state["provider"] = None
