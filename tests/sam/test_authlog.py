"""Auth events and refusals on ``sam.auth`` (sam/authlog.py): one line each with the request's id, the user and
the workspace, never a password, a token or a link; the request id answered in ``X-Request-ID``."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from sam.logfilters import redact
from sam.roles import Role
from sam.services import token_create, token_revoke
from tests.sam.test_auth import login

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-42"


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sam.auth"]


def test_sign_in_failure_lockout_tokens_and_refusals_are_logged_without_secrets(tenant_a, caplog):
    caplog.set_level(logging.INFO, logger="sam.auth")
    admin = tenant_a.admin
    admin.set_password(PASSWORD)
    admin.save()
    client = Client()
    wrong = login(client, admin.email, "not-the-password-777")
    assert wrong.status_code == 200
    ok = login(client, admin.email, PASSWORD)
    assert ok.status_code == 302
    with tenant_a.ctx():
        token, secret = token_create(membership=tenant_a.memberships[Role.ADMIN], name="t", expires_in_days=None)
        token_revoke(token=token, acting_user=admin)
    viewer = Client()
    viewer.force_login(tenant_a.users[Role.VIEWER])
    refused = viewer.get(reverse("members", args=["alpha"]))
    assert refused.status_code == 403
    said = lines(caplog)
    assert any(line.startswith("auth sign-in-failed ") and "address=" in line for line in said), said
    assert any(line.startswith("auth sign-in ") and f"user={admin.pk}" in line for line in said), said
    assert any(line.startswith("auth token-created ") and f"token={token.pk}" in line for line in said), said
    assert any(line.startswith("auth token-revoked ") for line in said), said
    denied = [line for line in said if line.startswith("auth denied ")]
    assert (
        denied and f"user={tenant_a.users[Role.VIEWER].pk}" in denied[0] and f"tenant={tenant_a.tenant.pk}" in denied[0]
    )
    everything = "\n".join(said)
    for secret_text in (PASSWORD, "not-the-password-777", secret, admin.email):
        assert secret_text not in everything


def test_every_answer_carries_a_request_id_a_valid_given_one_is_kept():
    made = Client().get(reverse("login"))["X-Request-ID"]
    assert len(made) == 32
    assert Client().get(reverse("login"), HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    forged = Client().get(reverse("login"), HTTP_X_REQUEST_ID="x\nforged line")["X-Request-ID"]
    assert "\n" not in forged and forged != "x\nforged line"


def test_link_tokens_are_redacted_from_log_lines():
    for path, kept in (
        ("/invitations/7/AbC-123_xyz/", "/invitations/7/[token]/"),
        ("/auth/reset/MQ/cxq9-abc123/", "/auth/reset/MQ/[token]/"),
        ("/p/in/secret-token/", "/p/in/[token]/"),
    ):
        assert redact(f"GET {path} 404") == f"GET {kept} 404"
