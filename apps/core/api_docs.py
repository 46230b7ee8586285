"""Swagger UI that holds under the strict CSP: init script served as a file, styles from a stylesheet."""
from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "core/swagger_ui.html"
