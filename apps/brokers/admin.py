"""Operator views. Sealed fields (tokens, keys, wrapped data keys, PKCE verifiers) are never displayed."""
from django.contrib import admin

from .models import BrokerConnection, Candle, CandleChunk, DataKey, MarketSnapshot, OAuthState


@admin.register(BrokerConnection)
class BrokerConnectionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "broker", "status", "label", "expires_at", "last_used_at", "created_at")
    list_filter = ("broker", "status")
    search_fields = ("user__email", "id")
    exclude = ("access_enc", "refresh_enc")
    readonly_fields = ("id", "user", "broker", "scope", "label", "expires_at", "last_used_at", "created_at",
                       "has_secrets")
    fields = ("id", "user", "broker", "status", "label", "scope", "expires_at", "last_used_at", "created_at",
              "has_secrets")
    list_select_related = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("access_enc", "refresh_enc")

    @admin.display(boolean=True, description="Sealed secrets stored")
    def has_secrets(self, obj) -> bool:
        return BrokerConnection.objects.filter(id=obj.id).exclude(access_enc=b"").exists()

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DataKey)
class DataKeyAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kek_id", "created_at", "rotated_at")
    list_filter = ("kek_id",)
    search_fields = ("user__email",)
    exclude = ("wrapped",)
    readonly_fields = ("id", "user", "kek_id", "created_at", "rotated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("wrapped")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OAuthState)
class OAuthStateAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "broker", "created_at", "expires_at", "used_at")
    list_filter = ("broker",)
    search_fields = ("user__email",)
    exclude = ("verifier_enc", "state_hash", "session_hash")
    readonly_fields = ("id", "user", "broker", "redirect_uri", "created_at", "expires_at", "used_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Candle)
class CandleAdmin(admin.ModelAdmin):
    list_display = ("symbol", "granularity", "ts", "open", "high", "low", "close", "volume")
    list_filter = ("granularity", "symbol")
    search_fields = ("symbol",)
    date_hierarchy = "ts"
    ordering = ("-ts",)
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CandleChunk)
class CandleChunkAdmin(admin.ModelAdmin):
    list_display = ("symbol", "granularity", "start", "source", "is_complete", "fetched_at")
    list_filter = ("granularity", "source", "is_complete")
    search_fields = ("symbol",)


@admin.register(MarketSnapshot)
class MarketSnapshotAdmin(admin.ModelAdmin):
    list_display = ("symbol", "granularity", "period_start", "period_end", "rows", "path", "sha256")
    list_filter = ("granularity",)
    search_fields = ("symbol",)
    readonly_fields = ("symbol", "granularity", "period_start", "period_end", "rows", "path", "sha256", "created_at")

    def has_add_permission(self, request) -> bool:
        return False
