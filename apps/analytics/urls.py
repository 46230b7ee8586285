from django.urls import path

from . import api, views

urlpatterns = [
    path("analytics/", views.analytics_page, name="analytics"),
    path("api/analytics/summary", api.SummaryApi.as_view(), name="analytics-summary"),
    path("api/analytics/equity", api.EquityApi.as_view(), name="analytics-equity"),
    path("api/analytics/calendar", api.CalendarApi.as_view(), name="analytics-calendar"),
    path("api/analytics/breakdown", api.BreakdownApi.as_view(), name="analytics-breakdown"),
    path("api/analytics/excursions", api.ExcursionsApi.as_view(), name="analytics-excursions"),
]

urlpatterns += [
    path("api/account/export", api.ExportStartApi.as_view(), name="account-export"),
    path("api/account/export/<str:job_id>", api.ExportStatusApi.as_view(), name="account-export-status"),
    path("api/account/export/<str:job_id>/download", api.ExportDownloadApi.as_view(), name="account-export-download"),
    path("api/account/data", api.AccountDataApi.as_view(), name="account-data"),
    path("api/account/delete", api.AccountDeleteApi.as_view(), name="account-delete"),
]
