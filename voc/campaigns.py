"""Survey campaigns: who is asked, when invitations and reminders go out, closing, revoking and bounces.

Invitations go out through the outbox. The email row holds a placeholder where the link goes; the link is
filled in when the message is sent (``invitation_message_with_link``), from the invitation's random salt and
the server's key, so no link ever rests in the database. Reminders carry the same link as the first email.

The periodic ``campaigns_tick`` sends what fell due, reminds non-responders and closes what ended. It may
run any number of times: every email has its own idempotency key, and every state change is a conditional
update, so two ticks at once send nothing twice.

When a campaign closes (at its close date, or closed by hand), each account it asked gets a digest: one email
to the account's owner with the account's results in that campaign and a link to its VoC report page (no
token: the page asks them to sign in). The key is the campaign and the account, and the campaign is stamped
once its digests are queued, so closing twice or two ticks at once email nobody twice. An account none of
whose contacts answered gets no digest: there is nothing to report, and the campaign's page shows who was not
reached. Under anonymity a digest follows the results page: no names, and below K answers only the counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account, BuyerRole, Contact, Tier
from sam.models import Membership, Tenant, User, WorkspaceSettings
from sam.numbers import whole
from sam.outbox import Withdrawn, email_enqueue, register_hook
from sam.services import audit_record
from sam.tasks_base import task_on_commit
from sam.tenancy.context import required_tenant
from sam.tenancy.urls import tenant_reverse
from voc import selectors, services
from voc.models import Campaign, Invitation, SurveyTemplate, SurveyVersion, VocSettings

LINK_PLACEHOLDER = "[[survey-link]]"
KEY_PREFIX = "voc-invite-"
DIGEST_PREFIX = "voc-digest-"
# A campaign closed this recently still gets its digests (beat was down for a while); older ones never do.
DIGEST_DAYS = 3
MAX_NAME = 200
MAX_REMINDERS = 5
MAX_REMINDER_DAYS = 60
LIVE = (Campaign.Status.SCHEDULED, Campaign.Status.SENDING)
# Invitations whose link no longer goes out.
ENDED = (Invitation.Status.COMPLETED, Invitation.Status.REVOKED, Invitation.Status.OPTED_OUT, Invitation.Status.BOUNCED)


@dataclass
class Audience:
    """Who a campaign asks: every live account's contacts, narrowed by tier, buyer role and accounts."""

    tiers: list[int] = field(default_factory=list)
    buyer_roles: list[str] = field(default_factory=list)
    accounts: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, list[Any]]:
        return {"tiers": self.tiers, "buyer_roles": self.buyer_roles, "accounts": self.accounts}


@dataclass
class AudiencePreview:
    recipients: list[Contact]
    no_email: list[Contact]
    opted_out: list[Contact]

    @property
    def accounts(self) -> int:
        return len({c.account_id for c in self.recipients})


def audience_clean(data: dict[str, Any]) -> Audience:
    """The filters checked: known tiers, roles and accounts of this tenant only."""

    def ids(values: Any, name: str) -> list[int]:
        values = values if isinstance(values, list) else [values] if values not in (None, "") else []
        numbers = [whole(v) for v in values]
        if any(n is None for n in numbers):
            raise ValidationError({name: "Choose from the list."})
        return sorted({n for n in numbers if n is not None})

    tiers, accounts = ids(data.get("tiers"), "tiers"), ids(data.get("accounts"), "accounts")
    roles = data.get("buyer_roles") or []
    roles = roles if isinstance(roles, list) else [roles]
    if not all(isinstance(r, str) and r in BuyerRole.values for r in roles):
        raise ValidationError({"buyer_roles": "Choose buyer roles from the list."})
    if tiers and Tier.objects.filter(pk__in=tiers).count() != len(tiers):
        raise ValidationError({"tiers": "No such tier."})
    if accounts and Account.objects.alive().filter(pk__in=accounts).count() != len(accounts):
        raise ValidationError({"accounts": "No such account."})
    return Audience(tiers=tiers, buyer_roles=sorted(set(roles)), accounts=accounts)


def audience_preview(audience: Audience) -> AudiencePreview:
    """The contacts a campaign would ask, and those it leaves out (no email, opted out), in one query."""
    contacts = Contact.objects.filter(account__in=Account.objects.alive()).select_related("account")
    if audience.tiers:
        contacts = contacts.filter(account__tier_id__in=audience.tiers)
    if audience.buyer_roles:
        contacts = contacts.filter(buyer_role__in=audience.buyer_roles)
    if audience.accounts:
        contacts = contacts.filter(account_id__in=audience.accounts)
    preview = AudiencePreview([], [], [])
    for contact in contacts.order_by("account__name", "name"):
        if contact.opted_out:
            preview.opted_out.append(contact)
        elif not contact.email:
            preview.no_email.append(contact)
        else:
            preview.recipients.append(contact)
    return preview


def _version_for(template: SurveyTemplate) -> SurveyVersion:
    version = SurveyVersion.objects.filter(template=template).order_by("-number").first()
    if version is None or not version.questions.exists():
        raise ValidationError({"template": "This survey has no questions yet."})
    return version


def _check_dates(send_at: datetime | None, closes_at: datetime | None, now: datetime) -> None:
    if send_at is None or closes_at is None:
        raise ValidationError({"send_at" if send_at is None else "closes_at": "Choose a date and time."})
    if send_at < now - timedelta(minutes=5):
        raise ValidationError({"send_at": "The send date is in the past; choose now or later."})
    if closes_at <= send_at + timedelta(hours=1):
        raise ValidationError({"closes_at": "The campaign must stay open at least an hour after it is sent."})
    if closes_at > send_at + timedelta(days=366):
        raise ValidationError({"closes_at": "A campaign stays open at most a year."})


def _check_reminders(after_days: Any, most: Any) -> tuple[int, int]:
    try:
        after_days, most = int(after_days), int(most)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"reminder_after_days": "Reminders need whole numbers."}) from exc
    if not 1 <= after_days <= MAX_REMINDER_DAYS:
        raise ValidationError({"reminder_after_days": f"Remind after 1 to {MAX_REMINDER_DAYS} days."})
    if not 0 <= most <= MAX_REMINDERS:
        raise ValidationError({"reminder_max": f"At most {MAX_REMINDERS} reminders."})
    return after_days, most


def _left_out(preview: AudiencePreview) -> dict[str, list[dict[str, Any]]]:
    """The contacts a campaign leaves out stay listed on it (they may get an email address later)."""

    def rows(contacts: list[Contact]) -> list[dict[str, Any]]:
        return [
            {"contact": c.pk, "name": c.name, "account": c.account.name, "account_id": c.account_id} for c in contacts
        ]

    return {"no_email": rows(preview.no_email), "opted_out": rows(preview.opted_out)}


@transaction.atomic
def campaign_create(
    *,
    name: str,
    template: SurveyTemplate,
    audience: Audience,
    send_at: datetime | None,
    closes_at: datetime | None,
    reminder_after_days: Any = 7,
    reminder_max: Any = 2,
    acting_user: User | None,
) -> tuple[Campaign, AudiencePreview]:
    """A draft campaign with one queued invitation per recipient. Contacts without email and opted-out
    contacts are left out (the preview lists them). The survey's newest version is used and frozen."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationError({"name": f"Give the campaign a name of at most {MAX_NAME} characters."})
    _check_dates(send_at, closes_at, timezone.now())
    after_days, most = _check_reminders(reminder_after_days, reminder_max)
    version = _version_for(template)
    preview = audience_preview(audience)
    campaign = Campaign.objects.create(
        name=name,
        version=version,
        send_at=send_at,
        closes_at=closes_at,
        reminder_after_days=after_days,
        reminder_max=most,
        audience={**audience.as_json(), **_left_out(preview)},
        created_by=acting_user,
    )
    if not version.in_use:
        SurveyVersion.objects.filter(pk=version.pk).update(in_use=True)
    tenant_id = required_tenant().pk
    invitations = []
    for contact in preview.recipients:
        salt, digest = services.token_salt_new(tenant_id)
        invitations.append(Invitation(campaign=campaign, contact=contact, token_salt=salt, token_hash=digest))
    Invitation.objects.bulk_create(invitations)
    audit_record(actor=acting_user, action="voc.campaign_create", obj=campaign, recipients=len(invitations))
    return campaign, preview


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, acting_user: User | None) -> Campaign:
    campaign = _locked(campaign)
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError("Only a draft campaign can be scheduled.")
    if not campaign.invitations.filter(status=Invitation.Status.QUEUED).exists():
        raise ValidationError("This campaign has no recipients: nobody would be asked. Pick other filters.")
    if campaign.closes_at is not None and campaign.closes_at <= timezone.now():
        raise ValidationError("The close date has passed; make a new campaign.")
    campaign.status = Campaign.Status.SCHEDULED
    campaign.save(update_fields=["status"])
    audit_record(actor=acting_user, action="voc.campaign_schedule", obj=campaign, send_at=str(campaign.send_at))
    if campaign.send_at is not None and campaign.send_at <= timezone.now():  # "now": do not wait for beat
        task_on_commit("voc.tasks.campaigns_tick")
    return campaign


@transaction.atomic
def campaign_close(*, campaign: Campaign, acting_user: User | None) -> Campaign:
    """Stop taking answers now: every open link stops working."""
    campaign = _locked(campaign)
    if campaign.status == Campaign.Status.CLOSED:
        return campaign
    campaign.status, campaign.closed_at = Campaign.Status.CLOSED, timezone.now()
    campaign.save(update_fields=["status", "closed_at"])
    audit_record(actor=acting_user, action="voc.campaign_close", obj=campaign)
    task_on_commit("voc.tasks.campaign_digests_send", campaign.tenant_id)  # the digests go now, not at the tick
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign, acting_user: User | None) -> None:
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError("Only a draft can be deleted; close a campaign that has been scheduled.")
    audit_record(actor=acting_user, action="voc.campaign_delete", obj=campaign, name=campaign.name)
    campaign.delete()


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user: User | None) -> Invitation:
    """The link stops working at once; an email not yet sent is withdrawn."""
    revoked = (
        Invitation.objects.exclude(status=Invitation.Status.COMPLETED)
        .filter(pk=invitation.pk)
        .update(status=Invitation.Status.REVOKED)
    )
    if not revoked:
        raise ValidationError("This contact has answered already; the answer is kept.")
    audit_record(
        actor=acting_user, action="voc.invitation_revoke", obj=invitation.campaign, contact=invitation.contact_id
    )
    invitation.refresh_from_db()
    return invitation


# --- sending ------------------------------------------------------------------------------------------


def _email(invitation: Invitation, tenant: Tenant, *, reminder: int, logo: str) -> tuple[str, str, str]:
    context = {
        "invitation": invitation,
        "contact": invitation.contact,
        "tenant": tenant,
        "reminder": reminder,
        "link": LINK_PLACEHOLDER,
        "closes_at": invitation.campaign.closes_at,
    }
    subject = (
        f"Reminder: {tenant.name} would value your view"
        if reminder
        else f"{tenant.name} would value your view: two minutes"
    )
    text = render_to_string("voc/email_invitation.txt", context)
    html = render_to_string("voc/email_invitation.html", {**context, "logo": logo})
    return subject, text, html


def _send(invitation: Invitation, tenant: Tenant, *, reminder: int, logo: str) -> None:
    subject, text, html = _email(invitation, tenant, reminder=reminder, logo=logo)
    email_enqueue(
        key=f"{KEY_PREFIX}{invitation.pk}-{reminder}",
        to=[invitation.contact.email],
        subject=subject,
        text=text,
        html=html,
    )


def invitations_send(*, now: datetime | None = None) -> int:
    """Send the first email of every campaign whose send date came. Returns how many went out."""
    now = now or timezone.now()
    tenant = required_tenant()
    logo: str | None = None  # read once, when the first email goes
    sent = 0
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.SCHEDULED, send_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(skip_locked=True)
                .filter(pk=campaign_id, status=Campaign.Status.SCHEDULED)
                .first()
            )
            if campaign is None:  # another tick has it
                continue
            if logo is None:
                logo = WorkspaceSettings.current().logo_data_uri()
            queued = list(
                campaign.invitations.filter(status=Invitation.Status.QUEUED).select_related(
                    "contact", "contact__account", "campaign"
                )
            )
            opted_out = [i.pk for i in queued if i.contact.opted_out or not i.contact.email]
            Invitation.objects.filter(pk__in=opted_out).update(status=Invitation.Status.OPTED_OUT)
            for invitation in queued:
                if invitation.pk not in opted_out:
                    _send(invitation, tenant, reminder=0, logo=logo)
                    sent += 1
            Invitation.objects.filter(campaign=campaign, status=Invitation.Status.QUEUED).update(
                status=Invitation.Status.SENT, sent_at=now
            )
            campaign.status, campaign.sent_at = Campaign.Status.SENDING, now
            campaign.save(update_fields=["status", "sent_at"])
    return sent


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind those who have not answered, ``reminder_after_days`` after the last email, at most
    ``reminder_max`` times. Each reminder is claimed by a conditional update, so it goes out once."""
    now = now or timezone.now()
    tenant = required_tenant()
    logo: str | None = None  # read once, when the first email goes
    sent = 0
    due = (
        Invitation.objects.filter(
            campaign__status=Campaign.Status.SENDING,
            status__in=(Invitation.Status.SENT, Invitation.Status.OPENED),
            reminders_sent__lt=F("campaign__reminder_max"),
        )
        .filter(Q(campaign__closes_at__isnull=True) | Q(campaign__closes_at__gt=now))
        .select_related("contact", "contact__account", "campaign")
    )
    for invitation in due:
        last = invitation.last_reminded_at or invitation.sent_at
        if last is None or last > now - timedelta(days=invitation.campaign.reminder_after_days):
            continue
        if invitation.contact.opted_out or not invitation.contact.email:
            continue
        with transaction.atomic():
            claimed = Invitation.objects.filter(pk=invitation.pk, reminders_sent=invitation.reminders_sent).update(
                reminders_sent=invitation.reminders_sent + 1, last_reminded_at=now
            )
            if claimed:
                if logo is None:
                    logo = WorkspaceSettings.current().logo_data_uri()
                _send(invitation, tenant, reminder=invitation.reminders_sent + 1, logo=logo)
                sent += 1
    return sent


def campaigns_close_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Campaign.objects.filter(status__in=LIVE, closes_at__lte=now).update(
        status=Campaign.Status.CLOSED, closed_at=now
    )


def campaigns_tick(*, now: datetime | None = None) -> dict[str, int]:
    """One pass of the current tenant's campaigns (beat runs it every minute), and the answers taken since the
    last pass put on their accounts' timelines (their follow-ups are the playbooks')."""
    closed = campaigns_close_due(now=now)
    return {
        "sent": invitations_send(now=now),
        "reminded": reminders_send(now=now),
        "closed": closed,
        "answers": services.answers_record(now=now),
        "digested": campaign_digests_send(now=now),
    }


# --- the digests of a closed campaign ----------------------------------------------------------------------


def campaign_digests_send(*, now: datetime | None = None) -> int:
    """The digests of every campaign closed in the last ``DIGEST_DAYS`` that has none yet; returns how many
    emails were queued. Each campaign is locked while its digests are queued and stamped after, so a second
    run (or a second tick at the same moment) queues nothing."""
    now = now or timezone.now()
    tenant = required_tenant()
    queued = 0
    due = Campaign.objects.filter(
        status=Campaign.Status.CLOSED, digest_sent_at__isnull=True, closed_at__gte=now - timedelta(days=DIGEST_DAYS)
    ).values_list("pk", flat=True)
    for campaign_id in list(due):
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(skip_locked=True)
                .filter(pk=campaign_id, digest_sent_at__isnull=True)
                .first()
            )
            if campaign is None:  # another run has it, or had it
                continue
            queued += campaign_digest_send(campaign=campaign, tenant=tenant)
            campaign.digest_sent_at = now
            campaign.save(update_fields=["digest_sent_at"])
    return queued


def campaign_digest_send(*, campaign: Campaign, tenant: Tenant) -> int:
    """One email per account the campaign asked, to the account's owner (a member with an email address), with
    the account's figures, answers, comments and follow-ups as anonymity allows, and the link to its VoC report.
    Accounts without a single answer are left out. Returns how many emails were queued now."""
    members = set(Membership.objects.filter(user__is_active=True).values_list("user_id", flat=True))
    config = VocSettings.current()
    queued = 0
    for account, section in selectors.campaign_digests(campaign):
        owner = account.owner
        if not section.rollup.answered or owner is None or not owner.email or owner.pk not in members:
            continue
        path = tenant_reverse("voc_account_report", account.pk, tenant=tenant) + f"?campaign={campaign.pk}"
        context = {
            "owner": owner,
            "account": account,
            "campaign": campaign,
            "section": section,
            "rollup": section.rollup,
            "config": config,
            "tenant": tenant,
            "url": settings.SITE_URL + path,
        }
        subject = " ".join(f"Survey results: {account.name}, {campaign.name} [{tenant.name}]".split())
        _, created = email_enqueue(
            key=f"{DIGEST_PREFIX}{campaign.pk}-{account.pk}",
            to=[owner.email],
            subject=subject,
            text=render_to_string("emails/voc_digest.txt", context),
        )
        queued += created
    return queued


# --- outbox hooks -----------------------------------------------------------------------------------------

_KEY = re.compile(rf"^{KEY_PREFIX}(\d+)-\d+$")


def _invitation_of(email: Any) -> Invitation | None:
    match = _KEY.match(email.idempotency_key)
    if match is None:
        return None
    return Invitation.objects.select_related("campaign").filter(pk=int(match.group(1))).first()


def invitation_message_with_link(email: Any, text: str, html: str) -> tuple[str, str]:
    """Fill in the invitation's link as the message leaves; a link that no longer works is not sent."""
    invitation = _invitation_of(email)
    if invitation is None:
        raise Withdrawn("the invitation is gone")
    if invitation.status in ENDED or invitation.campaign.status == Campaign.Status.CLOSED:
        raise Withdrawn(f"the invitation is {invitation.status}")
    link = f"{settings.SITE_URL}/s/{services.invitation_token(invitation)}/"
    return text.replace(LINK_PLACEHOLDER, link), html.replace(LINK_PLACEHOLDER, link)


def invitation_mark_bounced(email: Any, reason: str) -> None:
    invitation = _invitation_of(email)
    if invitation is not None:
        Invitation.objects.filter(pk=invitation.pk).exclude(status=Invitation.Status.COMPLETED).update(
            status=Invitation.Status.BOUNCED, bounced_at=timezone.now(), bounce_reason=reason[:300]
        )


def register() -> None:
    register_hook(KEY_PREFIX, expand=invitation_message_with_link, bounced=invitation_mark_bounced)
