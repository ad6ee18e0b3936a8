"""The platform operators' admin (/platform/): tenants and people, outside any tenant.

Tenant-owned rows (memberships, tokens, outbox) are under row-level security
and invisible here by design; operators provision a tenant and its first
admin with `manage.py create_tenant`, and that admin manages the rest.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from sam.models import PlatformEmail, Tenant, User


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin[Tenant]):
    list_display = ("name", "slug", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff")
    search_fields = ("email", "full_name")
    readonly_fields = ("date_joined", "last_login", "last_tenant")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("date_joined", "last_login", "last_tenant")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(PlatformEmail)
class PlatformEmailAdmin(admin.ModelAdmin[PlatformEmail]):
    list_display = ("subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in PlatformEmail._meta.fields]
    exclude = ("body_text", "body_html")  # reset links are secrets

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
