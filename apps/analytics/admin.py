from django.contrib import admin, messages

from apps.core.jobs import JobStatus

from .models import ExportJob, StoredFileDeletion
from .services.files import stored_files_delete_release

JOB_FIELDS = ("status", "attempts", "lease_owner", "lease_expires_at", "not_before", "error", "created_at",
              "updated_at", "finished_at")


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "status", "size", "attempts", "expires_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("id", "user__email")
    ordering = ("-updated_at",)
    list_select_related = ("user",)
    readonly_fields = ("id", "user", "path", "size", "tables", "expires_at", *JOB_FIELDS)
    exclude = ("session_hash",)

    def has_add_permission(self, request):
        return False


@admin.register(StoredFileDeletion)
class StoredFileDeletionAdmin(admin.ModelAdmin):
    """Parked deletions are the dead letters (the storage kept refusing): read the error, release to retry."""

    list_display = ("id", "reason", "status", "deleted", "attempts", "not_before", "updated_at")
    list_filter = ("status", "reason")
    ordering = ("-updated_at",)
    actions = ["release_parked"]
    readonly_fields = ("id", "paths", "reason", "deleted", *JOB_FIELDS)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Release parked or failed deletions (fresh attempts, queue again)")
    def release_parked(self, request, queryset):
        released = 0
        for job_id in queryset.filter(status__in=(JobStatus.PARKED, JobStatus.FAILED)).values_list("id", flat=True):
            stored_files_delete_release(job_id=job_id)
            released += 1
        self.message_user(request, f"Released {released} deletion(s).", messages.SUCCESS)
