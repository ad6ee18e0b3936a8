"""The whole URL map. Tenant pages live under /t/<tenant_slug>/, the API under /api/v1/.

The apps' URL modules are included by name: the core never imports the apps built on it.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from sam import views
from sam.documents import views as document_views
from sam.forms import PasswordResetForm, SetPasswordForm
from sam.twofactor import views as two_factor_views

auth_patterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", two_factor_views.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("logout/everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # The person's own two-factor sign-in: theirs in every workspace, so outside any.
    path("two-factor/", two_factor_views.two_factor, name="two_factor"),
    path("two-factor/recovery-codes/", two_factor_views.two_factor_recovery_codes, name="two_factor_recovery_codes"),
    path("two-factor/off/", two_factor_views.two_factor_off, name="two_factor_off"),
]

tenant_patterns = [
    path("admin/members/", views.members, name="members"),
    path("admin/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("admin/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("admin/invitations/<int:member_invitation_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("admin/invitations/<int:member_invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("admin/sign-in/", views.session_limits, name="session_limits"),
    path("admin/sign-in/two-factor/", views.two_factor_requirement, name="two_factor_requirement"),
    path("admin/tokens/", views.workspace_tokens, name="workspace_tokens"),
    path("admin/changes/", views.audit, name="audit"),
    path("admin/data/", views.workspace_data, name="workspace_data"),
    path("admin/changes/export/", views.audit_export, name="audit_export"),
    path("admin/tokens/<int:token_id>/revoke/", views.workspace_token_revoke, name="workspace_token_revoke"),
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("documents/<int:document_id>/", document_views.document_status, name="document_status"),
    path("documents/<int:document_id>/download/", document_views.document_download, name="document_download"),
    path("documents/<int:document_id>/preview/", document_views.document_preview, name="document_preview"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("s/", include("voc.public_urls")),
    path("p/", include("portal.urls")),
    path("auth/", include(auth_patterns)),
    path("tenants/", views.tenant_switch, name="tenant_switch"),
    path("invitations/<int:tenant_id>/<str:token>/", views.invitation_open, name="invitation_open"),
    path("t/<slug:tenant_slug>/", include(tenant_patterns)),
    path("t/<slug:tenant_slug>/", include("accounts.urls")),
    path("t/<slug:tenant_slug>/", include("scorecards.urls")),
    path("t/<slug:tenant_slug>/", include("qbr.urls")),
    path("t/<slug:tenant_slug>/", include("voc.urls")),
    path("t/<slug:tenant_slug>/", include("assessments.urls")),
    path("t/<slug:tenant_slug>/", include("dashboard.urls")),
    path("t/<slug:tenant_slug>/", include("portal.staff_urls")),
    path("t/<slug:tenant_slug>/", include("search.urls")),
    path("api/v1/", include("sam.api.urls")),
    path("platform/", admin.site.urls),
]

handler400 = "sam.views.error_400"
handler404 = "sam.views.error_404"
handler403 = "sam.views.error_403"
handler500 = "sam.views.error_500"
