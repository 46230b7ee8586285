from django.contrib import admin, messages

from apps.core.jobs import JobStatus

from .imports import import_job_release
from .models import ColumnMappingPreset, IdempotencyKey, ImportJob, Trade


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = ("ts", "user", "broker", "symbol", "side", "qty", "price", "fee", "ext_id")
    list_filter = ("broker", "side", "symbol")
    search_fields = ("ext_id", "user__email")
    date_hierarchy = "ts"
    ordering = ("-ts",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("id", "created_at")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Parked jobs are the dead letters: filter by status, read the error, release to retry."""

    list_display = ("id", "user", "source", "broker", "status", "fetched", "inserted", "duplicates", "skipped",
                    "attempts", "updated_at")
    list_filter = ("status", "source", "broker")
    search_fields = ("id", "user__email")
    ordering = ("-updated_at",)
    list_select_related = ("user",)
    actions = ["release_parked"]
    readonly_fields = ("id", "user", "source", "broker", "connection_id", "since", "until", "status", "fetched",
                       "inserted", "duplicates", "skipped", "pages", "cursor", "attempts", "lease_owner", "lease_expires_at",
                       "not_before", "error", "report",
                       "created_at", "updated_at", "finished_at")

    def has_add_permission(self, request):
        return False

    @admin.action(description="Release parked jobs (fresh attempts, queue again)")
    def release_parked(self, request, queryset):
        released = 0
        for job_id in queryset.filter(status=JobStatus.PARKED).values_list("id", flat=True):
            import_job_release(job_id=job_id)
            released += 1
        self.message_user(request, f"Released {released} parked job(s).", messages.SUCCESS)


@admin.register(ColumnMappingPreset)
class ColumnMappingPresetAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "updated_at")
    search_fields = ("name", "user__email")
    raw_id_fields = ("user",)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "scope", "user", "response_status", "created_at")
    search_fields = ("key", "user__email")
    readonly_fields = ("user", "scope", "key", "request_digest", "response_status", "response_body", "created_at")

    def has_add_permission(self, request):
        return False
