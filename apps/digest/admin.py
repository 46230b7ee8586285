from django.contrib import admin

from .models import Digest, DigestRun


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "week", "timezone", "status", "attempts", "built_at", "delivered_at")
    list_filter = ("status", "period_end", "delivered_at")
    search_fields = ("user__email", "id")
    list_select_related = ("user",)
    date_hierarchy = "period_end"
    fields = ("id", "user", "week", "timezone", "period_start", "period_end", "status", "attempts", "error",
              "lease_owner", "lease_expires_at", "not_before", "built_at", "delivered_at", "finished_at", "payload",
              "created_at", "updated_at")
    readonly_fields = fields
    ordering = ("-period_end",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "built", "attempts", "created_at", "finished_at")
    list_filter = ("status",)
    fields = ("id", "status", "built", "attempts", "error", "digest_ids", "created_at", "updated_at", "finished_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
