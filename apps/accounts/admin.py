"""Operator views. Password hashes are never displayed; sessions and audit rows are read-only."""
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.urls import reverse
from django.utils.html import format_html

from .models import Audit, Session, User


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email


class UserChangeForm(forms.ModelForm):
    """Everything an operator may edit; the password field is left out on purpose."""

    class Meta:
        model = User
        fields = ("email", "coach_tone", "is_active", "is_staff", "is_superuser", "groups", "user_permissions")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreateForm
    list_display = ("email", "created_at", "last_login", "coach_tone", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", "coach_tone", "created_at")
    search_fields = ("email", "id")
    ordering = ("-created_at",)
    readonly_fields = ("id", "password_status", "created_at", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "email", "password_status", "coach_tone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("created_at", "last_login")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),
    )
    filter_horizontal = ("groups", "user_permissions")

    @admin.display(description="Password")
    def password_status(self, obj: User) -> str:
        if obj.pk is None:
            return "-"
        state = "set" if obj.has_usable_password() else "not set"
        url = reverse("admin:auth_user_password_change", args=[obj.pk])
        return format_html('{} · <a href="{}">change it</a>', state, url)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "created_at", "expire_date", "ip_hash_prefix", "ua_hash_prefix")
    list_filter = ("created_at", "expire_date")
    search_fields = ("user__email", "id")
    list_select_related = ("user",)
    # The primary key is the session key itself: never put it in links or action checkboxes.
    list_display_links = None
    actions = None
    fields = ("id", "user", "created_at", "expire_date", "ip_hash_prefix", "ua_hash_prefix")
    readonly_fields = fields
    ordering = ("-created_at",)

    @admin.display(description="IP hash")
    def ip_hash_prefix(self, obj: Session) -> str:
        return obj.ip_hash[:12]

    @admin.display(description="UA hash")
    def ua_hash_prefix(self, obj: Session) -> str:
        return obj.ua_hash[:12]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Audit)
class AuditAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "user")
    list_filter = ("action", "created_at")
    search_fields = ("user__email", "action", "id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    fields = ("id", "created_at", "user", "action", "meta")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
