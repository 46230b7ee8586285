from django.contrib import admin

from .models import Digest


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "period_start", "period_end", "delivered_at", "created_at")
    list_filter = ("period_end", "delivered_at")
    search_fields = ("user__email", "id")
    list_select_related = ("user",)
    date_hierarchy = "period_end"
    fields = ("id", "user", "period_start", "period_end", "payload", "delivered_at", "created_at")
    readonly_fields = fields
    ordering = ("-period_end",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
