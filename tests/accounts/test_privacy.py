"""A privacy request erases a contact's personal data: the contact's name, title, email and phone, the text of their
survey answers (their scores stay, and so the account's figures), their portal access, and the values the record
of changes kept of them. Only an admin may ask for it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Contact
from sam.models import DataChange
from sam.roles import Role
from tests.voc.test_tokens import invite, submit

pytestmark = pytest.mark.django_db


def erase_url(account, contact) -> str:
    return reverse("contact_erase", kwargs={"tenant_slug": "alpha", "account_id": account.pk, "contact_id": contact.pk})


def test_an_admin_erases_a_contact_and_the_scores_stay(tenant_a, account_a, client_for) -> None:
    from portal.models import PortalAccess
    from voc.models import Response

    token, invitation, answers = invite(tenant_a, account_a)
    with tenant_a.ctx():
        submit(token, answers)
        contact = invitation.contact
        Contact.objects.filter(pk=contact.pk).update(title="Head of IT", phone="+44 20 7946 0000")
        access = PortalAccess.objects.create(contact=contact)
        response = Response.objects.get(invitation=invitation)
        nps = response.nps
        assert "Great team" in str(response.answers)

    edit = reverse(
        "contact_edit", kwargs={"tenant_slug": "alpha", "account_id": account_a.pk, "contact_id": contact.pk}
    )
    admin = client_for(tenant_a.admin)
    assert erase_url(account_a, contact) in admin.get(edit).content.decode()
    assert "Erase for good" in admin.get(erase_url(account_a, contact)).content.decode()
    assert admin.post(erase_url(account_a, contact)).status_code == 302

    with tenant_a.ctx():
        contact.refresh_from_db()
        assert (contact.name, contact.title, contact.email, contact.phone) == (
            f"Erased contact {contact.pk}",
            "",
            "",
            "",
        )
        assert contact.opted_out
        response.refresh_from_db()
        assert response.nps == nps and "Great team" not in str(response.answers)
        assert any(str(v) == "4" for v in response.answers.values()), response.answers  # the rating stays
        access.refresh_from_db()
        assert access.revoked_at is not None
        recorded = str(list(DataChange.objects.filter(table="accounts_contact", row_id=contact.pk).values("changes")))
        for gone in ("Erin", "erin@example.test", "Head of IT", "7946"):
            assert gone not in recorded
        answers_recorded = str(list(DataChange.objects.filter(table="voc_response").values("changes")))
        assert "Great team" not in answers_recorded


def test_only_an_admin_may_erase_and_another_workspace_gets_404(tenant_a, tenant_b, account_a, client_for) -> None:
    with tenant_a.ctx():
        contact = Contact.objects.create(account=account_a, name="Erin", email="erin@example.test")
    for role in (Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.MEMBER, Role.VIEWER):
        assert client_for(tenant_a.users[role]).post(erase_url(account_a, contact)).status_code == 403
    other = reverse(
        "contact_erase", kwargs={"tenant_slug": "bravo", "account_id": account_a.pk, "contact_id": contact.pk}
    )
    assert client_for(tenant_b.admin).post(other).status_code == 404
    with tenant_a.ctx():
        contact.refresh_from_db()
    assert contact.name == "Erin"


def test_the_app_can_blank_records_only_through_the_erase_function(tenant_a, account_a) -> None:
    """The function blanks the given rows of the caller's workspace, nothing else."""
    from sam import history

    with tenant_a.ctx():
        kept = Contact.objects.create(account=account_a, name="Kept", email="kept@example.test")
        gone = Contact.objects.create(account=account_a, name="Gone", email="gone@example.test")
        assert history.erase(Contact, [gone.pk]) == 1
        values = {
            c.row_id: c.changes
            for c in DataChange.objects.filter(table="accounts_contact", row_id__in=[kept.pk, gone.pk])
        }
    assert values[kept.pk]["name"] == [None, "Kept"]
    assert values[gone.pk]["name"] == [None, history.ERASED]


def test_removed_accounts_are_purged_after_the_workspaces_retention(tenant_a, account_a) -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Account, AccountsSettings
    from accounts.services import account_delete
    from tests.accounts.conftest import make_account

    recent = make_account(tenant_a, "Recently removed")
    with tenant_a.ctx():
        settings = AccountsSettings.current()
        settings.removed_retention_days = 30
        settings.save()
        Account.objects.filter(pk=account_a.pk).update(name="Old Corp")
        for account in (account_a, recent):
            account_delete(account=Account.objects.get(pk=account.pk), acting_user=None, reason="Left the program")
        Account.objects.filter(pk=account_a.pk).update(deleted_at=timezone.now() - timedelta(days=31))
        Account.objects.filter(pk=recent.pk).update(deleted_at=timezone.now() - timedelta(days=29))
    call_command("tick")  # the beat's jobs, once
    with tenant_a.ctx():
        assert not Account.objects.filter(pk=account_a.pk).exists()
        assert Account.objects.filter(pk=recent.pk).exists()
        recorded = str(list(DataChange.objects.filter(account_id=account_a.pk).values_list("changes", flat=True)))
        assert "Old Corp" not in recorded and "(erased)" in recorded
        assert "Recently removed" in str(
            list(DataChange.objects.filter(account_id=recent.pk).values_list("changes", flat=True))
        )


def test_the_retention_is_bounded(tenant_a, client_for) -> None:
    from django.core.exceptions import ValidationError

    from accounts.models import AccountsSettings

    with tenant_a.ctx():
        settings = AccountsSettings.current()
        for days in (6, 3651):
            settings.removed_retention_days = days
            with pytest.raises(ValidationError):
                settings.full_clean(exclude=["tenant"])
