"""The team's pages for the customer portal (under /t/<tenant_slug>/)."""

from django.urls import path

from portal import staff_views

urlpatterns = [
    path("accounts/<int:account_id>/portal/grant/", staff_views.access_grant, name="portal_access_grant"),
    path(
        "accounts/<int:account_id>/portal/<int:access_id>/revoke/",
        staff_views.access_revoke,
        name="portal_access_revoke",
    ),
]
