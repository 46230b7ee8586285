from django.urls import path

from . import views
from .observability import views as observability_views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", observability_views.metrics, name="metrics"),
]
