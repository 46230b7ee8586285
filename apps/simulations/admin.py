from django.contrib import admin

from .models import Simulation


@admin.register(Simulation)
class SimulationAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "trade", "horizon_days", "pullback_pct", "status", "attempts", "created_at")
    list_filter = ("status",)
    search_fields = ("id", "user__email", "trade__id")
    readonly_fields = ("id", "user", "trade", "horizon_days", "pullback_pct", "candle_version", "result", "status",
                       "attempts", "lease_owner", "lease_expires_at", "not_before", "error", "error_code",
                       "finished_at", "created_at", "updated_at")
