"""OpenTelemetry: one upload followed from the HTTP request through the import and scoring tasks, their
database statements and the outbound candle requests, in one trace (in-memory exporter, no collector)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from apps.core.observability.tracing import tracing_enabled, tracing_start, tracing_stop

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing_start(exporter=exporter, simple=True)
    connection.close()  # the next connection is made through the instrumented psycopg
    try:
        yield exporter
    finally:
        tracing_stop()
        connection.close()


def fills_csv() -> bytes:
    """Two BTC/USDT fills from three days ago, as Binance's spot trade history export writes them."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    rows = ['"Date(UTC)","Pair","Side","Price","Executed","Amount","Fee"']
    for i, side in enumerate(("BUY", "SELL")):
        ts = (start + timedelta(hours=5 * i)).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(f'"{ts}","BTCUSDT","{side}","50000","0.01BTC","500USDT","0.5USDT"')
    return ("\n".join(rows) + "\n").encode()


def test_tracing_is_off_unless_an_otlp_endpoint_is_set(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert tracing_enabled() is False
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing_enabled() is True


@pytest.mark.django_db(transaction=True)
def test_one_upload_is_one_trace_from_request_to_scoring(spans, api_client, stub_exchange):
    response = api_client.post("/api/trades/upload", {"file": SimpleUploadedFile("fills.csv", fills_csv(), "text/csv")},
                               format="multipart")
    assert response.status_code == 202, response.content

    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.kind == SpanKind.SERVER and s.attributes.get("http.route") == "api/trades/upload"]
    trace_id = request.context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    tasks = {s.attributes.get("celery.task_name") for s in in_trace if s.attributes.get("celery.task_name")}
    assert {"trades.import_job_run", "bias.scoring_run"} <= tasks, sorted(tasks)
    statements = [s for s in in_trace if s.attributes.get("db.system") == "postgresql"]
    assert any(s.name.startswith("INSERT") for s in statements), sorted({s.name for s in statements})[:20]
    outbound = [s for s in in_trace if s.kind == SpanKind.CLIENT and "/klines" in str(s.attributes.get("http.url"))]
    assert outbound, "the candle requests to the exchange (on the fetch threads) are spans of the same trace"
    by_id = {s.context.span_id: s for s in in_trace}
    for span in in_trace:  # every span hangs off the request span
        node = span
        while node.parent is not None and node.parent.span_id in by_id:
            node = by_id[node.parent.span_id]
        assert node is request, span.name
