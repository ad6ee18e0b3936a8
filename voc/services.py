"""Surveys: the default relationship survey, invitation tokens, and taking a response exactly once.

A token is ``<tenant id>.<secret>``. The secret is the HMAC-SHA256, under the server's secret key, of the
tenant and a salt of 128 random bits kept on the invitation: unguessable without the key, and the same for
the first email and its reminders. Only the SHA-256 of the whole token is stored; the outbox holds a
placeholder and the link is filled in as the email leaves. The tenant part lets the public page enter the
right tenant before looking the invitation up; a wrong tenant simply finds nothing. Every failure looks the
same to the visitor (``TokenInvalid``).
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.events import timeline_event
from accounts.models import Account, Contact, TimelineEntry
from sam import tokens
from sam.db import Rows, columns, from_row, run_together
from sam.documents.services import document_request
from sam.models import Document, Tenant, User
from sam.services import audit_record, row_update
from sam.tenancy.context import current_tenant, tenant_context_fetching, tenant_run_once
from sam.tenancy.rls import TENANT_EXPR
from voc.models import (
    REPORT,
    Campaign,
    Invitation,
    Question,
    Response,
    SurveyTemplate,
    SurveyVersion,
    VocSettings,
)
from voc.scoring import nps_category
from voc.selectors import account_campaigns

MAX_TEXT = 5000
log = logging.getLogger(__name__)

# A table: one row per line reads better than one field per line.
# fmt: off
DEFAULT_QUESTIONS: list[tuple[str, str, str, str, bool, list[str]]] = [
    # kind, role, text, help, required, choices
    ("nps", "nps", "How likely are you to recommend us to a colleague?", "0 = not at all likely, 10 = extremely "
     "likely", True, []),
    ("rating", "attitude", "How satisfied are you with working with us?", "1 = very dissatisfied, 5 = very "
     "satisfied", True, []),
    ("rating", "intent", "How likely are you to continue working with us when the contract ends?", "1 = very "
     "unlikely, 5 = very likely", True, []),
    ("text", "other", "What should we do better, or keep doing?", "", False, []),
]
# fmt: on


# The invitations whose link takes an answer.
OPEN = (Invitation.Status.SENT, Invitation.Status.OPENED)


class TokenInvalid(Exception):
    """Unknown, tampered, expired, used, revoked or another tenant's: the visitor learns nothing more. ``tenant``
    is the link's tenant when it is known (for its branding)."""

    def __init__(self, tenant: Tenant | None = None) -> None:
        super().__init__("this survey link takes no answer")
        self.tenant = tenant


@transaction.atomic
def voc_settings_update(*, data: dict[str, Any], acting_user: Any) -> VocSettings:
    """The tenant's survey settings (anonymity, loyalty cut-offs), checked by the model's rules."""
    config = row_update(VocSettings.current(), data)
    audit_record(actor=acting_user, action="voc.settings_update", obj=config, **{k: str(v) for k, v in data.items()})
    return config


def account_report_request(
    *, account: Account, campaign: Campaign | None = None, acting_user: User | None
) -> tuple[Document, bool]:
    """Ask for a PDF of the account's VoC report (of one campaign, or of every campaign that asked the account);
    a worker renders it. While the same one is still queued, that one is returned (False: nothing new)."""
    if campaign is not None and not account_campaigns(account).filter(pk=campaign.pk).exists():
        raise ValidationError({"campaign": "Choose a campaign that asked this account."})
    params = {"campaign": campaign.pk} if campaign is not None else {}
    return document_request(kind=REPORT, subject=account, params=params, acting_user=acting_user)


def survey_defaults_ensure() -> SurveyTemplate:
    """The tenant's default relationship survey (idempotent)."""
    template = SurveyTemplate.objects.filter(is_default=True).first()
    if template is not None:
        return template
    with transaction.atomic():
        template = SurveyTemplate.objects.create(name="Relationship survey", is_default=True)
        version = SurveyVersion.objects.create(template=template, number=1)
        Question.objects.bulk_create(
            [
                Question(
                    version=version,
                    order=n,
                    kind=kind,
                    role=role,
                    text=text,
                    help_text=help_text,
                    required=required,
                    choices=choices,
                )
                for n, (kind, role, text, help_text, required, choices) in enumerate(DEFAULT_QUESTIONS)
            ]
        )
    return template


token_hash = tokens.token_hash
tenant_of_token = tokens.tenant_of_token


def token_of(tenant_id: int, salt: str) -> str:
    return tokens.salted_token("sam.voc.invitation", tenant_id, salt)


def token_salt_new(tenant_id: int) -> tuple[str, str]:
    """A fresh salt (128 random bits) and the hash of the token it gives (only these two are kept)."""
    salt = secrets.token_hex(16)
    return salt, token_hash(token_of(tenant_id, salt))


def invitation_token(invitation: Invitation) -> str:
    """The invitation's link token, made again from its salt (nothing stores it)."""
    return token_of(invitation.tenant_id, invitation.token_salt)


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


@functools.cache
def _lookup_sql(lock: bool) -> tuple[str, str]:
    """The live-invitation lookup of a token as two statements (invitation with campaign and whether its survey
    version is frozen; questions), for one round trip. Row-level security applies; the explicit tenant test also
    lets the unique index answer."""
    invitation = (
        f"SELECT {columns(Invitation, 'i')}, {columns(Campaign, 'c')}, v.in_use FROM voc_invitation i "  # noqa: S608
        "JOIN voc_campaign c ON c.id = i.campaign_id JOIN voc_surveyversion v ON v.id = c.version_id "
        f"WHERE i.tenant_id = {TENANT_EXPR} AND i.token_hash = %s" + (" FOR UPDATE OF i" if lock else "")
    )
    questions = (
        f"SELECT {columns(Question, 'q')} FROM voc_question q JOIN voc_campaign c ON c.version_id = q.version_id "  # noqa: S608
        f"JOIN voc_invitation i ON i.campaign_id = c.id WHERE i.tenant_id = {TENANT_EXPR} AND i.token_hash = %s "
        'ORDER BY q."order", q.id'
    )
    return invitation, questions


def _lookup(token: str, *, lock: bool = False) -> list[tuple[str, list[Any]]]:
    digest = token_hash(token)
    invitation, questions = _lookup_sql(lock)
    return [(invitation, [digest]), (questions, [digest])]


# The questions of frozen survey versions (a version a campaign uses never changes), by (tenant, version): the
# answer POST checks answers with them before it touches the database. Bounded; a miss costs one lookup.
_QUESTIONS: dict[tuple[int, int], list[Question]] = {}
_QUESTIONS_MAX = 500


def _live(invitation_rows: Rows, question_rows: Rows) -> tuple[Invitation, list[Question]]:
    """The invitation (with its campaign) and questions from the lookup's rows, if its link still takes an
    answer; else ``TokenInvalid``."""
    if not invitation_rows:
        raise TokenInvalid
    row = invitation_rows[0]
    invitation = from_row(Invitation, row)
    invitation.campaign = from_row(Campaign, row, len(Invitation._meta.concrete_fields))
    questions = [from_row(Question, q) for q in question_rows]
    if row[-1]:  # the version is frozen
        if len(_QUESTIONS) >= _QUESTIONS_MAX:
            _QUESTIONS.clear()
        _QUESTIONS[(invitation.tenant_id, invitation.campaign.version_id)] = questions
    if invitation.status not in OPEN or not _campaign_open(invitation.campaign):
        raise TokenInvalid
    return invitation, questions


def _campaign_open(campaign: Campaign) -> bool:
    closes = campaign.closes_at
    return campaign.status != Campaign.Status.CLOSED and (closes is None or closes > timezone.now())


@contextmanager
def token_context(
    token: str, *, lock: bool = False
) -> Iterator[tuple[Tenant | None, Invitation | None, list[Question]]]:
    """Enter the token's tenant and find its live invitation (locked when asked) and questions, in one round
    trip: ``(tenant, invitation, questions)``. The tenant is None when the token names no active tenant (nothing
    entered), the invitation None when the link takes no answer (tenant entered, for its branding)."""
    tenant_id = tenant_of_token(token)
    if tenant_id is None:
        yield None, None, []
        return
    with tenant_context_fetching("id = %s", [tenant_id], _lookup(token, lock=lock), prepared=True) as (tenant, rows):
        try:
            invitation, questions = _live(*rows)
        except TokenInvalid:
            yield tenant, None, []
        else:
            yield tenant, invitation, questions


# Take one invitation's answers, in one statement: the invitation is spent if it is live (link unused, campaign
# open, the survey version the answers were checked against), and only then the response is inserted (one per
# invitation: a constraint). A second submit at the same moment waits for the first's row lock, then finds the
# invitation completed and takes nothing. With SURVEY_ASYNC_COMMIT the transaction the answer is taken in then
# commits without waiting for its WAL flush; without it, the server's own setting stays.
_TAKE_SQL = f"""
WITH spent AS (
    UPDATE voc_invitation i SET status = %s, completed_at = %s
    FROM voc_campaign c
    WHERE c.id = i.campaign_id AND i.tenant_id = {TENANT_EXPR} AND i.token_hash = %s AND i.status IN (%s, %s)
      AND c.version_id = %s AND c.status <> %s AND (c.closes_at IS NULL OR c.closes_at > %s)
    RETURNING i.id
)
INSERT INTO voc_response (tenant_id, invitation_id, answers, nps, attitude, intent, comment, submitted_at)
SELECT %s::bigint, spent.id, %s::jsonb, %s::smallint, %s::numeric, %s::numeric, %s::text, %s::timestamptz
FROM spent
RETURNING id, invitation_id, set_config('synchronous_commit', COALESCE(%s, current_setting('synchronous_commit')), true)
"""  # noqa: S608 (only constant text is formatted in; values are parameters)


def _response_of(tenant_id: int, questions: list[Question], answers: dict[str, Any]) -> Response:
    """The (unsaved) response the answers make (as the form posts them: a list of values per question), each
    checked against its question; else ``ValidationError`` naming every question that needs a look."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for question in questions:
        raw = form_value(question, answers.get(str(question.pk)) or [])
        try:
            clean[str(question.pk)] = _answer(question, raw)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    by_role = {q.role: clean.get(str(q.pk)) for q in questions if q.role != Question.Role.OTHER}
    comment = "\n\n".join(
        str(clean[str(q.pk)]) for q in questions if q.kind == Question.Kind.TEXT and clean.get(str(q.pk))
    )
    return Response(
        tenant_id=tenant_id,
        answers=clean,
        nps=by_role.get("nps"),
        attitude=_decimal(by_role.get("attitude")),
        intent=_decimal(by_role.get("intent")),
        comment=comment,
        submitted_at=timezone.now(),
    )


def _take(digest: str, version_id: int, response: Response) -> tuple[str, list[Any]]:
    now = response.submitted_at
    return _TAKE_SQL, [
        Invitation.Status.COMPLETED,
        now,
        digest,
        Invitation.Status.SENT,
        Invitation.Status.OPENED,
        version_id,
        Campaign.Status.CLOSED,
        now,
        response.tenant_id,
        json.dumps(response.answers),
        response.nps,
        response.attitude,
        response.intent,
        response.comment,
        now,
        "off" if settings.SURVEY_ASYNC_COMMIT else None,
    ]


def _taken(rows: Rows, response: Response) -> bool:
    if not rows:
        return False
    response.pk, response.invitation_id = rows[0][:2]
    response._state.adding = False
    return True


def _take_live(token: str, invitation: Invitation, questions: list[Question], answers: dict[str, Any]) -> Response:
    response = _response_of(invitation.tenant_id, questions, answers)
    try:
        with transaction.atomic():
            (rows,) = run_together([_take(token_hash(token), invitation.campaign.version_id, response)], prepared=True)
    except IntegrityError:  # a response exists already: the link is spent
        rows = []
    if not _taken(rows, response):
        raise TokenInvalid(current_tenant())
    invitation.status, invitation.completed_at = Invitation.Status.COMPLETED, response.submitted_at
    response.invitation = invitation
    return response


def response_submit_by_token(token: str, version_id: int | None, answers: dict[str, list[str]]) -> Tenant:
    """The public page's answer, outside any tenant: returns the token's tenant once the answers are taken;
    ``ValidationError`` for answers that need a look, ``TokenInvalid`` (with the tenant when known) for a link
    that takes no answer.

    The hot path, when the questions of the survey version the page showed (``version_id``) are known here: the
    answers are checked first, then one round trip enters the tenant, takes them and commits. Otherwise (or when
    that takes nothing) the invitation is looked up and the answers checked against its own questions."""
    tenant_id = tenant_of_token(token)
    if tenant_id is None:
        raise TokenInvalid
    questions = _QUESTIONS.get((tenant_id, version_id)) if version_id is not None else None
    if questions is not None and version_id is not None:
        response = _response_of(tenant_id, questions, answers)
        try:
            tenant, (rows,) = tenant_run_once("id = %s", [tenant_id], [_take(token_hash(token), version_id, response)])
        except IntegrityError:  # a response exists already (nothing was written): the look-up below says so
            pass
        else:
            if tenant is None:
                raise TokenInvalid
            if _taken(rows, response):
                return tenant
    with token_context(token) as (tenant, invitation, questions):
        if invitation is None:
            raise TokenInvalid(tenant)
        _take_live(token, invitation, questions, answers)
        return cast(Tenant, tenant)


# Events on the account's timeline (registered in VocConfig.ready): each answer once, recorded by the minute tick
# for answers this recent (the customer's request stays short).
EVENT_ANSWERED = "survey.answered"
ANSWER_EVENT_DAYS = 2


def answers_record(*, now: datetime | None = None, days: int | None = ANSWER_EVENT_DAYS) -> int:
    """Put the recent survey answers on their accounts' timelines (once each, by key); under anonymity the
    entry names nobody and gives no score. A detractor's answer is followed up by its playbook
    (voc.triggers). Returns how many were recorded."""
    now = now or timezone.now()
    answered = Response.objects.filter(submitted_at__lte=now)
    if days is not None:  # None: every answer ever (the timeline's backfill)
        answered = answered.filter(submitted_at__gte=now - timedelta(days=days))
    recent = list(answered.select_related("invitation__contact", "invitation__campaign").order_by("submitted_at"))
    if not recent:
        return 0
    done = set(
        TimelineEntry.objects.filter(dedupe_key__in=[f"survey-answer:{r.pk}" for r in recent]).values_list(
            "dedupe_key", flat=True
        )
    )
    anonymous = VocSettings.current().anonymous
    made = 0
    for response in recent:
        key = f"survey-answer:{response.pk}"
        if key in done:
            continue
        contact, campaign = response.invitation.contact, response.invitation.campaign
        if anonymous:
            summary, contacts = f"A contact answered the survey “{campaign.name}”", []
        else:
            score = f": {response.nps}/10 ({nps_category(response.nps)})" if response.nps is not None else ""
            summary, contacts = f"{contact.name} answered the survey “{campaign.name}”{score}", [contact]
        if timeline_event(
            account=contact.account_id,
            event=EVENT_ANSWERED,
            summary=summary,
            key=key,
            at=response.submitted_at,
            source_id=campaign.pk,
            contacts=contacts,
        ):
            made += 1
    return made


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def invitation_opened(invitation: Invitation) -> None:
    """The contact opened the link: recorded once, by conditional updates that never undo a revoke or an answer
    made meanwhile."""
    if invitation.opened_at is not None:
        return
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENT).update(
        status=Invitation.Status.OPENED, opened_at=now
    )
    Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)


def invitation_unsubscribe(invitation: Invitation) -> None:
    """No more surveys for this contact: the invitation ends and the contact is opted out."""
    Contact.objects.filter(pk=invitation.contact_id).update(opted_out=True)
    Invitation.objects.filter(pk=invitation.pk, status__in=OPEN).update(status=Invitation.Status.OPTED_OUT)


def contact_answers_anonymise(contact: Any) -> list[tuple[Any, list[int]]]:
    """A privacy request: the contact's answers keep their scores (NPS, ratings: the figures stay) and lose every
    text they typed; the bounce reasons of their invitations (which may quote the address) go too."""
    invitations = Invitation.objects.filter(contact=contact)
    invitation_ids = list(invitations.values_list("pk", flat=True))
    responses = list(Response.objects.filter(invitation_id__in=invitation_ids))
    free_text = {str(pk) for pk in Question.objects.filter(kind=Question.Kind.TEXT).values_list("pk", flat=True)}
    for response in responses:
        answers = response.answers if isinstance(response.answers, dict) else {}
        response.answers = {k: v for k, v in answers.items() if str(k) not in free_text}
        response.comment = ""
    Response.objects.bulk_update(responses, ["answers", "comment"])
    invitations.exclude(bounce_reason="").update(bounce_reason="")
    return [(Response, [r.pk for r in responses]), (Invitation, invitation_ids)]
