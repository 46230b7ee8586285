from django.contrib import admin

from .models import Cooldown, Override, PretradeIntent


@admin.register(PretradeIntent)
class PretradeIntentAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "symbol", "direction", "decision", "status", "created_at")
    list_filter = ("decision", "status", "direction")
    search_fields = ("id", "symbol", "user__email")
    readonly_fields = [f.name for f in PretradeIntent._meta.fields]


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "intent", "decision", "status", "created_at")
    readonly_fields = [f.name for f in Override._meta.fields]


@admin.register(Cooldown)
class CooldownAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "reason", "starts_at", "ends_at", "ended_at")
    list_filter = ("reason",)
    readonly_fields = [f.name for f in Cooldown._meta.fields]
