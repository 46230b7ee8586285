from django.contrib import admin
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from .models import EventOutbox
from .services import outbox_delivered_sql


class DeliveredFilter(admin.SimpleListFilter):
    title = "delivered"
    parameter_name = "delivered"

    def lookups(self, request, model_admin):
        return [("yes", "Delivered"), ("no", "Not delivered")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(RawSQL(outbox_delivered_sql(), [], output_field=BooleanField()))
        if self.value() == "no":
            return queryset.filter(RawSQL(f"events_eventoutbox.seq IS NULL OR NOT ({outbox_delivered_sql()})", [],
                                          output_field=BooleanField()))
        return queryset


@admin.register(EventOutbox)
class EventOutboxAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by services and the relay only."""

    list_display = ["id", "type", "user_id", "ts", "seq"]
    list_filter = ["type", DeliveredFilter]
    search_fields = ["id", "type", "user__email"]
    ordering = ["-ts"]
    readonly_fields = ["id", "user", "type", "v", "ts", "payload", "seq"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
