"""URLs for the observability tests: the project's, plus views that log and fail on purpose."""
import logging

from django.http import JsonResponse
from django.urls import path

from twin.urls import handler400, handler403, handler404, handler500  # noqa: F401
from twin.urls import urlpatterns as project_urlpatterns

logger = logging.getLogger("apps.core.tests.observability")


def logs_a_line(request, item_id: str):
    logger.info("looked at %s", item_id)
    return JsonResponse({"ok": True})


def fails(request):
    password = "hunter2-very-secret"  # noqa: S105 - the value the redaction must hide
    raise RuntimeError(f"could not log in bob@example.com with password={password}")


urlpatterns = [
    path("api/observability-probe/<str:item_id>", logs_a_line),
    path("api/observability-fails", fails),
    *project_urlpatterns,
]
