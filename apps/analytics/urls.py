from django.urls import path

from . import api, views

urlpatterns = [
    path("analytics/", views.analytics_page, name="analytics"),
    path("api/analytics/summary", api.SummaryApi.as_view(), name="analytics-summary"),
    path("api/analytics/equity", api.EquityApi.as_view(), name="analytics-equity"),
    path("api/analytics/calendar", api.CalendarApi.as_view(), name="analytics-calendar"),
    path("api/analytics/breakdown", api.BreakdownApi.as_view(), name="analytics-breakdown"),
]
