"""Observability: structured logs with correlation ids and redaction, Prometheus metrics, OpenTelemetry traces.

- `context`: the request id and the peppered user reference bound to the current request, task or socket.
- `logs`: structlog's formatter for every stdlib logger (JSON lines or readable lines) and the redaction.
- `middleware`: `X-Request-ID` in and out, the route and user reference bound for logs, HTTP metrics.
- `metrics`: the metrics this app exports, sources read at scrape time, `/metrics`.
- `celery`: request ids carried in task headers; task latency and failures.
- `jobs`: background jobs by status and their durations.
- `tracing`: OpenTelemetry, on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
"""
