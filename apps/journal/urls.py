from django.urls import path

from . import api, views

urlpatterns = [
    path("api/journal-entries", api.EntryListApi.as_view(), name="api-journal-entries"),
    path("api/journal-entries/<str:entry_id>", api.EntryDetailApi.as_view(), name="api-journal-entry"),
    path("api/journal-entries/<str:entry_id>/attachments", api.AttachmentListApi.as_view(),
         name="api-journal-attachments"),
    path("api/journal-attachments/<str:attachment_id>", api.AttachmentDetailApi.as_view(),
         name="api-journal-attachment"),
    path("api/rule-streaks", api.RuleStreakListApi.as_view(), name="api-rule-streaks"),
    path("journal/", views.journal_page, name="journal"),
]
