from django.contrib import admin

from .models import EventOutbox


class DeliveredFilter(admin.SimpleListFilter):
    title = "delivered"
    parameter_name = "delivered"

    def lookups(self, request, model_admin):
        return [("yes", "Delivered"), ("no", "Not delivered")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(delivered_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(delivered_at__isnull=True)
        return queryset


@admin.register(EventOutbox)
class EventOutboxAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by services and the relay only."""

    list_display = ["id", "type", "user_id", "ts", "seq", "delivered_at"]
    list_filter = ["type", DeliveredFilter]
    search_fields = ["id", "type", "user__email"]
    ordering = ["-ts"]
    readonly_fields = ["id", "user", "type", "v", "ts", "payload", "seq", "delivered_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
