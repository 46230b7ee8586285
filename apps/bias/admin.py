import json

from django.contrib import admin
from django.utils.html import format_html

from .models import BiasTag, DispositionStat, Reflection, ReflectionFeedback, Rule, TradePosition


def pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


@admin.register(BiasTag)
class BiasTagAdmin(admin.ModelAdmin):
    list_display = ("id", "trade_id", "label", "confidence", "engine_version", "created_at")
    list_filter = ("label", "engine_version")
    search_fields = ("trade__id", "trade__user__email", "trade__symbol")
    readonly_fields = ("trade", "label", "confidence", "engine_version", "created_at", "features_pretty")
    exclude = ("features",)
    list_select_related = ("trade",)

    @admin.display(description="features")
    def features_pretty(self, obj):
        return pretty_json(obj.features)

    def has_add_permission(self, request):
        return False


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "active", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(Reflection)
class ReflectionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "trade_id", "bias", "tone", "source", "engine_version", "created_at")
    list_filter = ("bias", "tone", "source", "engine_version")
    search_fields = ("user__email", "trade__id", "event_id")
    readonly_fields = ("user", "trade", "text", "tone", "bias", "source", "engine_version", "fingerprint",
                       "event_id", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(ReflectionFeedback)
class ReflectionFeedbackAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "reflection", "vote", "updated_at")
    list_filter = ("vote",)
    raw_id_fields = ("user", "reflection")


@admin.register(TradePosition)
class TradePositionAdmin(admin.ModelAdmin):
    list_display = ("trade_id", "user", "symbol", "realized_pnl", "held_hours", "unmatched_qty", "updated_at")
    search_fields = ("user__email", "symbol", "trade__id")
    readonly_fields = ("trade", "user", "symbol", "realized_pnl", "held_hours", "matched_qty", "unmatched_qty",
                       "updated_at")


@admin.register(DispositionStat)
class DispositionStatAdmin(admin.ModelAdmin):
    list_display = ("user", "period_start", "period_end", "pgr", "plr", "effect", "engine_version")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
