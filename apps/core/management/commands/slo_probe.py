"""`python manage.py slo_probe [--base-url URL] [--email E --password P] [--timeout S] [--json]`

A synthetic journey (sign-up or login, socket, upload, import, first coach reflection) timed against the
SLOs. Exit 0 when every step met its objective, 1 on a breach, 2 when a step did not complete. Usable as a
cron job or a Kubernetes CronJob against any deployment (see docs/operations.md)."""
from __future__ import annotations

import json

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.observability.probe import ProbeFailed, probe_run


class Command(BaseCommand):
    help = "Run the synthetic user journey against a deployment and compare each step with its SLO."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default=getattr(settings, "SITE_URL", "http://127.0.0.1:8000"))
        parser.add_argument("--email", help="Log in as this probe account instead of signing up a new one.")
        parser.add_argument("--password")
        parser.add_argument("--timeout", type=float, default=120.0, help="Seconds to wait for the reflection.")
        parser.add_argument("--json", action="store_true", help="One JSON document instead of a table.")

    def handle(self, *args, base_url: str, email: str | None, password: str | None, timeout: float,
               json: bool, **options):
        if bool(email) != bool(password):
            raise CommandError("--email and --password go together.")
        try:
            steps = probe_run(base_url=base_url, email=email, password=password, timeout=timeout)
        except ProbeFailed as failure:
            self._print(json, [], failed=failure)
            raise SystemExit(2) from None
        except (OSError, httpx.TransportError) as error:  # connection refused, DNS, TLS, timeouts
            failure = ProbeFailed("connect", str(error))
            self._print(json, [], failed=failure)
            raise SystemExit(2) from None
        self._print(json, steps)
        if not all(step.ok for step in steps):
            raise SystemExit(1)

    def _print(self, as_json: bool, steps, *, failed: ProbeFailed | None = None) -> None:
        if as_json:
            document = {"ok": failed is None and all(step.ok for step in steps),
                        "steps": [{"name": s.name, "seconds": s.seconds, "sloSeconds": s.slo_seconds, "ok": s.ok,
                                   "detail": s.detail} for s in steps]}
            if failed is not None:
                document["failed"] = {"step": failed.step, "detail": failed.detail}
            self.stdout.write(_dumps(document))
            return
        for step in steps:
            verdict = "ok" if step.ok else "BREACH"
            seconds = "-" if step.seconds is None else f"{step.seconds:.3f}s"
            self.stdout.write(f"{step.name:<8} {seconds:>9}  slo {step.slo_seconds:6.2f}s  {verdict}  {step.detail}")
        if failed is not None:
            self.stdout.write(f"FAILED at {failed.step}: {failed.detail}")


def _dumps(document: dict) -> str:
    return json.dumps(document)
