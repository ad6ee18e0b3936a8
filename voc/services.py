"""Surveys: the default relationship survey, invitation tokens, and taking a response exactly once.

A token is ``<tenant id>.<secret>``. The secret is the HMAC-SHA256, under the server's secret key, of the
tenant and a salt of 128 random bits kept on the invitation: unguessable without the key, and the same for
the first email and its reminders. Only the SHA-256 of the whole token is stored; the outbox holds a
placeholder and the link is filled in as the email leaves. The tenant part lets the public page enter the
right tenant before looking the invitation up; a wrong tenant simply finds nothing. Every failure looks the
same to the visitor (``TokenInvalid``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from voc.models import Campaign, Invitation, Question, Response, SurveyTemplate, SurveyVersion, VocSettings
from voc.scoring import DETRACTOR, nps_category

MAX_TEXT = 5000

DEFAULT_QUESTIONS = [
    # kind, role, text, help, required, choices
    ("nps", "nps", "How likely are you to recommend us to a colleague?", "0 = not at all likely, 10 = extremely "
     "likely", True, []),
    ("rating", "attitude", "How satisfied are you with working with us?", "1 = very dissatisfied, 5 = very "
     "satisfied", True, []),
    ("rating", "intent", "How likely are you to continue working with us when the contract ends?", "1 = very "
     "unlikely, 5 = very likely", True, []),
    ("text", "other", "What should we do better, or keep doing?", "", False, []),
]  # fmt: skip


# The invitations whose link takes an answer.
OPEN = (Invitation.Status.SENT, Invitation.Status.OPENED)


class TokenInvalid(Exception):
    """Unknown, tampered, expired, used, revoked or another tenant's: the visitor learns nothing more."""


def survey_defaults_ensure() -> SurveyTemplate:
    """The tenant's default relationship survey (idempotent)."""
    template = SurveyTemplate.objects.filter(is_default=True).first()
    if template is not None:
        return template
    with transaction.atomic():
        template = SurveyTemplate.objects.create(name="Relationship survey", is_default=True)
        version = SurveyVersion.objects.create(template=template, number=1)
        Question.objects.bulk_create(
            [Question(version=version, order=n, kind=kind, role=role, text=text, help_text=help_text,
                      required=required, choices=choices)
             for n, (kind, role, text, help_text, required, choices) in enumerate(DEFAULT_QUESTIONS)]
        )  # fmt: skip
    return template


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(tenant_id: int, salt: str) -> str:
    mac = salted_hmac("sam.voc.invitation", f"{tenant_id}:{salt}", algorithm="sha256").digest()
    return f"{tenant_id}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def token_salt_new(tenant_id: int) -> tuple[str, str]:
    """A fresh salt (128 random bits) and the hash of the token it gives (only these two are kept)."""
    salt = secrets.token_hex(16)
    return salt, token_hash(token_of(tenant_id, salt))


def invitation_token(invitation: Invitation) -> str:
    """The invitation's link token, made again from its salt (nothing stores it)."""
    return token_of(invitation.tenant_id, invitation.token_salt)


def tenant_of_token(token: str) -> int | None:
    head, _, secret = (token or "").partition(".")
    if not head.isdigit() or len(secret) < 32 or len(token) > 200:
        return None
    return int(head)


def invitation_for(token: str, *, lock: bool = False) -> Invitation:
    """The live invitation of a token, in the current tenant; anything else is ``TokenInvalid``."""
    qs = Invitation.objects.select_related("campaign", "contact", "contact__account")
    if lock:
        qs = qs.select_for_update(of=("self",))
    invitation = qs.filter(token_hash=token_hash(token)).first()
    if invitation is None or invitation.status not in OPEN:
        raise TokenInvalid
    closes = invitation.campaign.closes_at
    if (closes is not None and closes <= timezone.now()) or invitation.campaign.status == Campaign.Status.CLOSED:
        raise TokenInvalid
    return invitation


def _answer(question: Question, raw: Any) -> Any:
    """One answer checked against its question (None when left out)."""
    if raw in (None, "", []):
        if question.required:
            raise ValidationError({str(question.pk): "Please answer this question."})
        return None
    if question.kind == Question.Kind.NPS or question.kind == Question.Kind.RATING:
        low, high = (0, 10) if question.kind == Question.Kind.NPS else (1, 5)
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 2) or not low <= int(text) <= high:
            raise ValidationError({str(question.pk): f"Choose a number from {low} to {high}."})
        return int(text)
    if question.kind == Question.Kind.SINGLE:
        if raw not in question.choices:
            raise ValidationError({str(question.pk): "Choose one of the options."})
        return raw
    if question.kind == Question.Kind.MULTIPLE:
        values = raw if isinstance(raw, list) else [raw]
        if not all(v in question.choices for v in values):
            raise ValidationError({str(question.pk): "Choose among the options."})
        return values
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise ValidationError({str(question.pk): f"At most {MAX_TEXT} characters."})
    return text


def form_value(question: Question, values: list[str]) -> Any:
    """A question's answer from a form's list of values: all of them for multiple choice, else the last."""
    if question.kind == Question.Kind.MULTIPLE:
        return values
    return values[-1] if values else ""


def response_submit(*, token: str, answers: dict[str, Any], form: bool = False) -> Response:
    """Take the answers of one invitation exactly once: the invitation row is locked, the response is unique
    per invitation, and the token is spent in the same transaction. Two tabs at once: one response."""
    with transaction.atomic():
        invitation = invitation_for(token, lock=True)
        questions = list(Question.objects.filter(version_id=invitation.campaign.version_id))
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        for question in questions:
            raw = answers.get(str(question.pk))
            if form:  # a form POST gives every field as a list
                raw = form_value(question, raw or [])
            try:
                clean[str(question.pk)] = _answer(question, raw)
            except ValidationError as exc:
                errors.update({k: v[0] for k, v in exc.message_dict.items()})
        if errors:
            raise ValidationError(errors)
        by_role = {q.role: clean.get(str(q.pk)) for q in questions if q.role != Question.Role.OTHER}
        comment = "\n\n".join(str(clean[str(q.pk)]) for q in questions
                              if q.kind == Question.Kind.TEXT and clean.get(str(q.pk)))  # fmt: skip
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    invitation=invitation, answers=clean, nps=by_role.get("nps"),
                    attitude=_decimal(by_role.get("attitude")), intent=_decimal(by_role.get("intent")),
                    comment=comment,
                )  # fmt: skip
        except IntegrityError as exc:  # a response exists already: the token is spent
            raise TokenInvalid from exc
        invitation.status, invitation.completed_at = Invitation.Status.COMPLETED, timezone.now()
        invitation.save(update_fields=["status", "completed_at"])
        if response.nps is not None and nps_category(response.nps) == DETRACTOR:
            detractor_follow_up(response)
    return response


def settings_get() -> VocSettings:
    return VocSettings.objects.get_or_create()[0]


def detractor_follow_up(response: Response, *, notify: bool = True) -> None:
    """One action item for the account owner with the comment, and one email: the action's dedupe key and the
    email's idempotency key are the response, so a second run adds nothing."""
    from datetime import timedelta

    from django.conf import settings as django_settings
    from django.urls import reverse

    from accounts.models import ActionItem
    from accounts.services import action_item_add
    from sam.outbox import email_enqueue
    from sam.tenancy.context import current_tenant

    invitation = response.invitation
    account, campaign = invitation.contact.account, invitation.campaign
    who = "A contact" if settings_get().anonymous else invitation.contact.name
    title = f"Follow up a detractor: {who} at {account.name} scored {response.nps}/10"
    detail = f"Survey: {campaign.name}\n" + (f"Their comment: {response.comment}" if response.comment
                                               else "No comment was left.")  # fmt: skip
    from sam.models import Membership

    owner = account.owner if account.owner_id and Membership.objects.filter(user_id=account.owner_id).exists() else None
    item, created = action_item_add(
        account=account, title=title, owner=owner, due=timezone.localdate() + timedelta(days=7),
        detail=detail, source_kind=ActionItem.Source.SURVEY, source_id=campaign.pk,
        dedupe_key=f"voc-detractor-{response.pk}",
    )  # fmt: skip
    Response.objects.filter(pk=response.pk).update(follow_up=item)
    if notify and created and owner is not None and owner.email:
        tenant = current_tenant()
        link = django_settings.SITE_URL + reverse("account_detail", args=[tenant.slug, account.pk]) + "?tab=actions"
        email_enqueue(
            key=f"voc-detractor-{response.pk}", to=[owner.email], subject=f"{title} [{tenant.name}]",
            text=f"{title}.\n\n{detail}\n\nThe follow-up is on the account's actions, due in a week:\n{link}\n",
        )  # fmt: skip


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)
