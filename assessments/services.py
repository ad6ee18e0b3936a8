"""Mid-contract assessments: the prompt, the team, interviews, the journey map, findings, costed
recommendations with their payback arithmetic, the workflow, and accepted recommendations in the register.

Every write from the pages and the API goes through here; each raises ValidationError with a message the
person can act on, and changes nothing when it does.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.events import timeline_event
from accounts.models import ActionItem, Contact, Contract
from accounts.services import action_item_add, action_item_update, member_or_error
from assessments.calc import anniversaries_passed, plan_year, plan_year_span
from assessments.models import (
    ACTION_SOURCE,
    PROGRESS_YEAR_KIND,
    TOPIC_KEYS,
    Assessment,
    AssessmentSettings,
    Finding,
    FindingStep,
    Interview,
    JourneyStep,
    Payback,
    Recommendation,
    TeamMember,
)
from assessments.selectors import (
    account_team_users,
    current_contract,
    due_for_prompt,
    interview_colleagues,
    yearly_reports_due,
)
from sam.documents.services import document_request, documents_of
from sam.models import Membership
from sam.numbers import whole
from sam.outbox import email_enqueue
from sam.services import audit_record, move_in_list, text_value
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_reverse

NOTE_MAX = 5000
TEXT_MAX = 5000

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Assessment.Status.DRAFT: (Assessment.Status.IN_REVIEW,),
    Assessment.Status.IN_REVIEW: (Assessment.Status.DRAFT, Assessment.Status.SHARED),
    Assessment.Status.SHARED: (Assessment.Status.ACTION_PLAN,),
    Assessment.Status.ACTION_PLAN: (),
}
EDITABLE = (Assessment.Status.DRAFT, Assessment.Status.IN_REVIEW)

EVENT_SHARED = "assessment.shared"  # on the account's timeline (registered in AssessmentsConfig.ready)


def assessment_settings_update(*, data: dict[str, Any], acting_user: Any) -> AssessmentSettings:
    config = AssessmentSettings.current()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field in ("window_start_pct", "window_end_pct"):
        value = whole(data.get(field, getattr(config, field)))
        if value is None or not 0 <= value <= 100:
            errors[field] = "A whole percentage from 0 to 100."
        else:
            values[field] = value
    if not errors and values["window_start_pct"] >= values["window_end_pct"]:
        errors["window_end_pct"] = "The window ends after it starts."
    rate = _decimal(data.get("hourly_rate", config.hourly_rate), "hourly_rate", errors, places=2, top=Decimal(10**7))
    currency = str(data.get("currency", config.currency) or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = "A three-letter currency code, e.g. EUR."
    least = whole(data.get("fourrs_min_answers", config.fourrs_min_answers))
    if least is None or not 3 <= least <= 100:
        errors["fourrs_min_answers"] = "A whole number of answers from 3 to 100."
    else:
        values["fourrs_min_answers"] = least
    if errors:
        raise ValidationError(errors)
    for field, value in values.items():
        setattr(config, field, value)
    config.hourly_rate, config.currency = rate, currency
    config.save()
    audit_record(actor=acting_user, action="assessment.settings_update", obj=config, currency=currency)
    return config


def _decimal(
    raw: Any, field: str, errors: dict[str, str], *, places: int, top: Decimal, allow_empty: bool = False
) -> Any:
    """A non-negative amount below ``top``; an error per field otherwise (None when empty is allowed)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if allow_empty:
            return None
        raw = "0"
    if isinstance(raw, bool):
        errors[field] = "A number."
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        errors[field] = "A number."
        return None
    if not value.is_finite():
        errors[field] = "A number."
        return None
    if value < 0:
        errors[field] = "Cannot be negative."
        return None
    if value >= top:
        errors[field] = "Too large."
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --- contracts and the mid-point ------------------------------------------------------------------------


# --- assessments and their team -------------------------------------------------------------------------


def assessment_check_editable(assessment: Assessment) -> None:
    if assessment.status not in EDITABLE:
        raise ValidationError(
            f"This assessment is {assessment.get_status_display().lower()}: its content is final. "
            "Only recommendations can be accepted or declined now."
        )


def _text(data: dict[str, Any], field: str, *, required: bool = False, limit: int = TEXT_MAX) -> str:
    raw = data.get(field, "")
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise ValidationError({field: "Give this as text."})
    value = raw.strip()
    if required and not value:
        raise ValidationError({field: "This is required."})
    if len(value) > limit:
        raise ValidationError({field: f"At most {limit:,} characters."})
    return value


@transaction.atomic
def assessment_create(*, account: Any, data: dict[str, Any], acting_user: Any) -> Assessment:
    """A new draft assessment of the account, with the account team on its team. Without a contract chosen it
    takes the running one; an account without any contract is allowed (the mid-point is then unknown)."""

    title = _text(data, "title", required=True, limit=200)
    contract = data.get("contract")
    if contract not in (None, ""):
        contract_id = whole(contract.pk if hasattr(contract, "pk") else contract)
        if contract_id is None:
            raise ValidationError({"contract": "No such contract of this account."})
        contract = Contract.objects.filter(pk=contract_id, account=account).first()
        if contract is None:
            raise ValidationError({"contract": "No such contract of this account."})
    else:
        contract = current_contract(account)
    summary = _text(data, "summary", limit=20000)
    config = AssessmentSettings.current()
    assessment = Assessment.objects.create(
        account=account,
        contract=contract,
        title=title,
        summary=summary,
        created_by=acting_user,
        hourly_rate=config.hourly_rate,
        currency=config.currency,
    )
    TeamMember.objects.bulk_create(
        [TeamMember(assessment=assessment, user=user) for user in account_team_users(account)], ignore_conflicts=True
    )
    audit_record(actor=acting_user, action="assessment.created", obj=assessment, account=account.pk)
    if contract is not None:  # the mid-contract prompt for this contract is answered
        for item in ActionItem.objects.filter(
            source_kind=ACTION_SOURCE,
            dedupe_key=f"midcontract:{contract.pk}",
            status__in=ActionItem.OPEN_STATUSES,
        ):
            action_item_update(item=item, data={"status": ActionItem.Status.DONE}, acting_user=acting_user)
    return assessment


def assessment_update(*, assessment: Assessment, data: dict[str, Any]) -> Assessment:
    assessment_check_editable(assessment)
    if "title" in data:
        assessment.title = _text(data, "title", required=True, limit=200)
    if "summary" in data:
        assessment.summary = _text(data, "summary", limit=20000)
    assessment.save(update_fields=["title", "summary", "updated_at"])
    return assessment


def assessment_delete(*, assessment: Assessment, acting_user: Any) -> None:
    """A draft or an assessment in review can go (a mistaken start); once shared with the customer it stays."""

    assessment_check_editable(assessment)
    audit_record(actor=acting_user, action="assessment.deleted", obj=assessment, title=assessment.title)
    assessment.delete()


def expert_add(*, assessment: Assessment, user_id: Any, expertise: str = "", acting_user: Any) -> TeamMember:
    """Invite a colleague from outside the account team as a subject-matter expert (emailed once)."""

    assessment_check_editable(assessment)
    user = member_or_error(user_id, "user")
    expertise = _text({"expertise": expertise}, "expertise", limit=120)
    if TeamMember.objects.filter(assessment=assessment, user=user).exists():
        raise ValidationError({"user": f"{user.display_name} is on the team already."})
    member = TeamMember.objects.create(
        assessment=assessment, user=user, kind=TeamMember.Kind.EXPERT, expertise=expertise
    )
    if user.email:
        email_enqueue(
            key=f"assessment-expert:{assessment.pk}:{user.pk}",
            to=[user.email],
            subject=f"You are on the assessment team for {assessment.account.name}",
            text=(
                f"{acting_user.display_name if acting_user else 'A colleague'} asked you to join the mid-contract "
                f"assessment “{assessment.title}” of {assessment.account.name}"
                f"{' for your expertise in ' + expertise if expertise else ''}.\n\n"
                f"{settings.SITE_URL}{_path(assessment)}\n"
            ),
        )
    return member


def team_member_remove(*, assessment: Assessment, member: TeamMember) -> None:
    assessment_check_editable(assessment)
    member.delete()


# --- interviews -----------------------------------------------------------------------------------------


def interview_save(*, assessment: Assessment, data: dict[str, Any], interview: Interview | None = None) -> Interview:
    """An interview: with a contact of the account (the customer's view) or with a colleague on the account's or
    the assessment's team (our view), never both; once each per assessment. When, by whom, and the notes per
    guide topic (unknown topics refused). Editing, ``contact`` or ``colleague`` (either given) names who it was
    again; left out, it stays who it was."""

    assessment_check_editable(assessment)
    if interview is None:
        interview = Interview(assessment=assessment)
        _interviewee_set(interview, data)
    elif "contact" in data or "colleague" in data:
        _interviewee_set(interview, data)
    held_on = data.get("held_on") or interview.held_on or timezone.localdate()
    if isinstance(held_on, str):
        try:
            held_on = date.fromisoformat(held_on[:10])
        except ValueError as exc:
            raise ValidationError({"held_on": "A date as YYYY-MM-DD."}) from exc
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "An interview is logged after it took place."})
    interviewer = data.get("interviewer")
    if interviewer not in (None, ""):
        interview.interviewer = member_or_error(getattr(interviewer, "pk", interviewer), "interviewer")
    notes = data.get("notes", {})
    if not isinstance(notes, dict):
        raise ValidationError({"notes": "Notes per topic."})
    unknown = set(notes) - set(TOPIC_KEYS)
    if unknown:
        raise ValidationError({"notes": f"Unknown topics: {', '.join(sorted(unknown)[:5])}."})
    cleaned = dict(interview.notes or {})
    for key, value in notes.items():
        if not isinstance(value, str):
            raise ValidationError({"notes": "Give each topic's notes as text."})
        if len(value) > NOTE_MAX:
            raise ValidationError({"notes": f"At most {NOTE_MAX:,} characters a topic."})
        if value.strip():
            cleaned[key] = value.strip()
        else:
            cleaned.pop(key, None)
    interview.held_on, interview.notes = held_on, cleaned
    try:
        with transaction.atomic():
            interview.save()
    except IntegrityError as exc:  # the same person logged at the same moment by someone else
        field = "contact" if interview.contact_id is not None else "colleague"
        raise ValidationError({field: "This person has an interview already: add to its notes."}) from exc
    return interview


WHO_MISSING = "Choose who was interviewed: a contact of the account or a colleague of our team."
WHO_BOTH = "Choose a contact of the account or a colleague of our team, not both."


def _interviewee_set(interview: Interview, data: dict[str, Any]) -> None:
    """Who the interview is with: the contact or the colleague the data names, exactly one of them, not
    interviewed already in this assessment. A colleague is on the account's or the assessment's team (or is the
    one this interview was with already, who may have left the team since)."""
    assessment = interview.assessment
    raw_contact, raw_colleague = data.get("contact"), data.get("colleague")
    given_contact = raw_contact not in (None, "")
    given_colleague = raw_colleague not in (None, "")
    if given_contact and given_colleague:
        raise ValidationError({"contact": WHO_BOTH, "colleague": WHO_BOTH})
    if not given_contact and not given_colleague:
        raise ValidationError({"contact": WHO_MISSING})
    others = Interview.objects.filter(assessment=assessment).exclude(pk=interview.pk)
    if given_contact:
        contact_id = whole(getattr(raw_contact, "pk", raw_contact))
        contact = (
            Contact.objects.filter(pk=contact_id, account=assessment.account).first()
            if contact_id is not None
            else None
        )
        if contact is None:
            raise ValidationError({"contact": "Choose a contact of this account."})
        if others.filter(contact=contact).exists():
            raise ValidationError({"contact": f"{contact.name} has an interview already: add to its notes."})
        interview.contact, interview.colleague = contact, None
        return
    colleague_id = whole(getattr(raw_colleague, "pk", raw_colleague))
    colleague = None
    if colleague_id is not None:
        colleague = (
            interview.colleague
            if colleague_id == interview.colleague_id
            else interview_colleagues(assessment).filter(pk=colleague_id).first()
        )
    if colleague is None:
        raise ValidationError({"colleague": "Choose a colleague on the account's team or on this assessment's team."})
    if others.filter(colleague=colleague).exists():
        raise ValidationError({"colleague": f"{colleague.display_name} has an interview already: add to its notes."})
    interview.contact, interview.colleague = None, colleague


# --- the journey map and findings -----------------------------------------------------------------------


def step_save(*, assessment: Assessment, data: dict[str, Any], step: JourneyStep | None = None) -> JourneyStep:
    assessment_check_editable(assessment)
    name = _text(data, "name", required=True, limit=200)
    touchpoint = _text(data, "touchpoint", limit=200)
    rating = data.get("rating")
    if rating in (None, ""):
        rating = None
    elif whole(rating) is None or not 1 <= whole(rating) <= 5:  # type: ignore[operator]
        raise ValidationError({"rating": "A rating from 1 to 5, or none."})
    else:
        rating = whole(rating)
    truth = data.get("moment_of_truth")
    truth = truth in (True, "1", "on", "true", "True")
    if step is None:
        last = JourneyStep.objects.filter(assessment=assessment).order_by("-order").values_list("order", flat=True)
        top = last.first()
        step = JourneyStep(assessment=assessment, order=(top + 1) if top is not None else 0)
    step.name, step.touchpoint, step.rating, step.moment_of_truth = name, touchpoint, rating, truth
    step.save()
    return step


def step_move(*, assessment: Assessment, step: JourneyStep, up: bool) -> None:
    assessment_check_editable(assessment)
    move_in_list(JourneyStep.objects.filter(assessment=assessment), step, up=up)


def step_delete(*, assessment: Assessment, step: JourneyStep) -> None:
    assessment_check_editable(assessment)
    step.delete()


def _step_ids(assessment: Assessment, raw: Any) -> list[int]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list | tuple):
        raw = [raw]
    ids = []
    for value in raw:
        number = whole(getattr(value, "pk", value))
        if number is None:
            raise ValidationError({"steps": "No such step of this journey map."})
        ids.append(number)
    found = set(JourneyStep.objects.filter(assessment=assessment, pk__in=ids).values_list("pk", flat=True))
    if found != set(ids):
        raise ValidationError({"steps": "No such step of this journey map."})
    return ids


@transaction.atomic
def finding_save(*, assessment: Assessment, data: dict[str, Any], finding: Finding | None = None) -> Finding:
    """A strength, opportunity or weakness, in words, linked to the journey steps it is about."""
    assessment_check_editable(assessment)
    kind = data.get("kind")
    if kind not in Finding.Kind.values:
        raise ValidationError({"kind": "Strength (S), Opportunity (O) or Weakness (W)."})
    text = _text(data, "text", required=True)
    steps = _step_ids(assessment, data.get("steps"))
    finding = finding or Finding(assessment=assessment)
    finding.kind, finding.text = kind, text
    finding.save()

    FindingStep.objects.filter(finding=finding).exclude(step_id__in=steps).delete()
    have = set(FindingStep.objects.filter(finding=finding).values_list("step_id", flat=True))
    FindingStep.objects.bulk_create([FindingStep(finding=finding, step_id=i) for i in steps if i not in have])
    return finding


def finding_delete(*, assessment: Assessment, finding: Finding) -> None:
    assessment_check_editable(assessment)
    finding.delete()


# --- recommendations, their cost and payback ------------------------------------------------------------


def _date(raw: Any, field: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw or "")[:10])
    except ValueError as exc:
        raise ValidationError({field: "A date as YYYY-MM-DD."}) from exc


def _paybacks(raw: Any) -> list[dict[str, Any]]:
    """[{beneficiary, category, amount?, note?}] with each (beneficiary, category) at most once."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError({"paybacks": "A list of paybacks."})
    found, seen = [], set()
    for entry in raw:
        if not isinstance(entry, dict):
            raise ValidationError({"paybacks": "Each payback has a beneficiary and a category."})
        who, what = entry.get("beneficiary"), entry.get("category")
        if who not in Payback.Beneficiary.values:
            raise ValidationError({"paybacks": "The beneficiary is the customer or us."})
        if what not in Payback.Category.values:
            raise ValidationError({"paybacks": "Cost reduction, efficiency, better decisions or risk mitigation."})
        if (who, what) in seen:
            raise ValidationError({"paybacks": "Each beneficiary and category once."})
        seen.add((who, what))
        errors: dict[str, str] = {}
        amount = _decimal(entry.get("amount"), "paybacks", errors, places=2, top=Decimal(10**12), allow_empty=True)
        if errors:
            raise ValidationError({"paybacks": f"Amounts: {errors['paybacks'].lower()}"})
        note = entry.get("note") or ""
        if not isinstance(note, str) or len(note) > 300:
            raise ValidationError({"paybacks": "A note of at most 300 characters."})
        found.append({"beneficiary": who, "category": what, "amount": amount, "note": note.strip()})
    return found


@transaction.atomic
def recommendation_save(
    *, assessment: Assessment, data: dict[str, Any], recommendation: Recommendation | None = None
) -> Recommendation:
    """Steps, obstacles, timeframe (end not before start), cost in hours and money (never negative), payback
    per beneficiary and category, priority. ``paybacks`` (when given) replaces the whole list."""
    assessment_check_editable(assessment)
    rec = recommendation or Recommendation(assessment=assessment)
    if rec.pk is not None and rec.status != Recommendation.Status.PROPOSED:
        raise ValidationError("An accepted or declined recommendation does not change.")
    fields = {**({"title": rec.title, "steps": rec.steps, "obstacles": rec.obstacles} if rec.pk else {}), **data}
    rec.title = _text(fields, "title", required=True, limit=200)
    rec.steps = _text(fields, "steps")
    rec.obstacles = _text(fields, "obstacles")
    errors: dict[str, str] = {}
    start = data.get("start", rec.start if rec.pk else None)
    end = data.get("end", rec.end if rec.pk else None)
    if start in (None, ""):
        errors["start"] = "When does it start?"
    if end in (None, ""):
        errors["end"] = "When does it end?"
    if errors:
        raise ValidationError(errors)
    rec.start, rec.end = _date(start, "start"), _date(end, "end")
    if rec.end < rec.start:
        raise ValidationError({"end": "The end cannot be before the start."})
    hours = _decimal(data.get("cost_hours", rec.cost_hours), "cost_hours", errors, places=1, top=Decimal(10**8))
    money = _decimal(data.get("cost_money", rec.cost_money), "cost_money", errors, places=2, top=Decimal(10**12))
    priority = data.get("priority", rec.priority)
    if isinstance(priority, bool) or str(priority) not in {str(v) for v in Recommendation.Priority.values}:
        errors["priority"] = "High (1), medium (2) or low (3)."
    finding = data.get("finding", rec.finding_id)
    if finding not in (None, ""):
        finding_id = whole(getattr(finding, "pk", finding))
        if finding_id is None or not Finding.objects.filter(pk=finding_id, assessment=assessment).exists():
            errors["finding"] = "No such finding of this assessment."
        else:
            rec.finding_id = finding_id
    else:
        rec.finding_id = None
    if errors:
        raise ValidationError(errors)
    rec.cost_hours, rec.cost_money, rec.priority = hours, money, int(priority)
    paybacks = _paybacks(data["paybacks"]) if "paybacks" in data else None
    rec.save()
    if paybacks is not None:
        Payback.objects.filter(recommendation=rec).delete()
        Payback.objects.bulk_create([Payback(recommendation=rec, **p) for p in paybacks])
    return rec


def recommendation_delete(*, assessment: Assessment, recommendation: Recommendation) -> None:
    assessment_check_editable(assessment)
    recommendation.delete()


def _spread(start: date, end: date, n: int) -> list[date]:
    """n due dates spread evenly from start to end, the last one on the end."""
    days = (end - start).days
    return [start + timedelta(days=round(days * (i + 1) / n)) for i in range(n)]


def recommendation_accept(*, recommendation: Recommendation, acting_user: Any) -> list[Any]:
    """The customer agreed: each step becomes an action item in the account's register, due along the
    recommendation's timeline, owned by the account owner. Exactly once, however often it is asked (a key per
    step); returns the items."""

    with transaction.atomic():
        rec = (
            Recommendation.objects.select_for_update()
            .select_related("assessment", "assessment__account")
            .get(pk=recommendation.pk)
        )
        assessment = rec.assessment
        if assessment.status not in (Assessment.Status.SHARED, Assessment.Status.ACTION_PLAN):
            raise ValidationError("Share the assessment with the customer before accepting its recommendations.")
        if rec.status == Recommendation.Status.DECLINED:
            raise ValidationError("This recommendation was declined.")
        steps = rec.step_lines() or [rec.title]
        dues = _spread(rec.start, rec.end, len(steps))
        account = assessment.account
        owner = account.owner

        if owner is not None and not Membership.objects.filter(user=owner).exists():
            owner = None
        items = []
        for n, (step, due) in enumerate(zip(steps, dues, strict=True), start=1):
            title = step if step == rec.title else f"{rec.title}: {step}"
            item, _ = action_item_add(
                account=account,
                title=title[:300],
                owner=owner,
                due=due,
                detail=f"Step {n} of {len(steps)} of the recommendation “{rec.title}” ({rec.start:%d %b %Y} to "
                f"{rec.end:%d %b %Y}) from the assessment “{assessment.title}”.",
                source_kind=ACTION_SOURCE,
                source_id=assessment.pk,
                dedupe_key=f"recommendation:{rec.pk}:{n}",
                acting_user=acting_user,
                joint=True,  # the action plan agreed with the customer: they follow it too
            )
            items.append(item)
        if rec.status != Recommendation.Status.ACCEPTED:
            rec.status, rec.accepted_at, rec.accepted_by = Recommendation.Status.ACCEPTED, timezone.now(), acting_user
            rec.save(update_fields=["status", "accepted_at", "accepted_by"])
            audit_record(actor=acting_user, action="assessment.recommendation_accepted", obj=rec, actions=len(items))
    return items


def recommendation_decline(*, recommendation: Recommendation, acting_user: Any) -> None:
    if recommendation.assessment.status not in (Assessment.Status.SHARED, Assessment.Status.ACTION_PLAN):
        raise ValidationError("Share the assessment with the customer before deciding on its recommendations.")
    if recommendation.status == Recommendation.Status.ACCEPTED:
        raise ValidationError("This recommendation is accepted: its actions are in the register.")
    recommendation.status = Recommendation.Status.DECLINED
    recommendation.save(update_fields=["status"])


def assessment_transition(
    *, assessment: Assessment, to: str, acting_user: Any, confirmation: dict[str, Any] | None = None
) -> Assessment:
    """draft -> in review -> shared with the customer -> action plan (and back from review to draft). Sharing may
    record at once who at the customer confirmed the recommendations and when (``confirmation``: confirmed_by,
    confirmed_on); a bad confirmation refuses the whole step."""

    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if confirmation and to != Assessment.Status.SHARED:
            raise ValidationError({"confirmed_by": "A confirmation is recorded when the assessment is shared."})
        if to not in Assessment.Status.values:
            raise ValidationError({"status": "Unknown status."})
        if to not in TRANSITIONS[locked.status]:
            names = dict(Assessment.Status.choices)
            raise ValidationError(
                {"status": f"An assessment {names[locked.status].lower()} cannot become {names[to].lower()}."}
            )
        if to == Assessment.Status.SHARED and not Finding.objects.filter(assessment=locked).exists():
            raise ValidationError({"status": "Record at least one finding before sharing the assessment."})
        if (
            to == Assessment.Status.ACTION_PLAN
            and not Recommendation.objects.filter(assessment=locked, status=Recommendation.Status.ACCEPTED).exists()
        ):
            raise ValidationError({"status": "Accept at least one recommendation to make the action plan."})
        before = locked.status
        locked.status = to
        if to == Assessment.Status.SHARED:
            locked.shared_on = timezone.localdate()
            if confirmation:
                locked.confirmed_by, locked.confirmed_on = _confirmation(locked, confirmation)
        locked.save(update_fields=["status", "shared_on", "confirmed_by", "confirmed_on", "updated_at"])
        audit_record(actor=acting_user, action="assessment.status", obj=locked, before=before, after=to)
        if to == Assessment.Status.SHARED:
            _shared_event(locked, by=acting_user)
    assessment.status, assessment.shared_on = locked.status, locked.shared_on
    assessment.confirmed_by, assessment.confirmed_on = locked.confirmed_by, locked.confirmed_on
    return assessment


def _confirmation(assessment: Assessment, data: dict[str, Any]) -> tuple[Contact, date]:
    """The contact of the account who confirmed the recommendations, and the day: not in the future, not before
    the assessment started. Every problem at once, by field."""
    errors: dict[str, str] = {}
    contact = None
    raw = data.get("confirmed_by")
    if raw in (None, ""):
        errors["confirmed_by"] = "Name the contact who confirmed the recommendations."
    else:
        contact_id = whole(getattr(raw, "pk", raw))
        if contact_id is not None:
            contact = Contact.objects.filter(pk=contact_id, account_id=assessment.account_id).first()
        if contact is None:
            errors["confirmed_by"] = "Choose a contact of this account."
    day = None
    raw_day = data.get("confirmed_on")
    if raw_day in (None, ""):
        errors["confirmed_on"] = "When did they confirm? Give the date as YYYY-MM-DD."
    else:
        try:
            day = _date(raw_day, "confirmed_on")
        except ValidationError:
            errors["confirmed_on"] = "Give the date as YYYY-MM-DD."
        else:
            if day > timezone.localdate():
                errors["confirmed_on"] = "A confirmation is recorded once given: the date cannot be in the future."
            elif day < assessment.started_on:
                errors["confirmed_on"] = (
                    f"The confirmation cannot be before the assessment started ({assessment.started_on:%d %b %Y})."
                )
    if errors:
        raise ValidationError(errors)
    assert contact is not None and day is not None
    return contact, day


SHARED_STATUSES = (Assessment.Status.SHARED, Assessment.Status.ACTION_PLAN)


@transaction.atomic
def recommendation_answer_by_contact(
    *, recommendation: Recommendation, contact: Contact, answer: str, comment: str
) -> Recommendation:
    """A contact in the customer portal confirms or declines one recommendation of a shared assessment of their
    account (a decline says why). The first confirmation also records, if nobody has yet, who at the customer
    confirmed the recommendations and on which day."""
    locked = (
        Recommendation.objects.select_for_update()
        .select_related("assessment")
        .filter(pk=recommendation.pk, assessment__account_id=contact.account_id)
        .first()
    )
    if (
        locked is None
        or locked.assessment.status not in SHARED_STATUSES
        or locked.status == Recommendation.Status.DECLINED  # the team withdrew it: not the customer's to answer
    ):
        raise Recommendation.DoesNotExist
    if answer not in Recommendation.CustomerAnswer.values:
        raise ValidationError({"answer": "Confirm or decline."})
    comment = text_value(comment, "comment", limit=2000, required=answer == Recommendation.CustomerAnswer.DECLINED)
    locked.customer_answer, locked.customer_comment = answer, comment
    locked.customer_contact, locked.customer_answered_at = contact, timezone.now()
    locked.save(update_fields=["customer_answer", "customer_comment", "customer_contact", "customer_answered_at"])
    assessment = locked.assessment
    if answer == Recommendation.CustomerAnswer.CONFIRMED and assessment.confirmed_on is None:
        assessment.confirmed_by, assessment.confirmed_on = contact, max(timezone.localdate(), assessment.started_on)
        assessment.save(update_fields=["confirmed_by", "confirmed_on", "updated_at"])
    return locked


def assessment_confirmation_record(*, assessment: Assessment, data: dict[str, Any], acting_user: Any) -> Assessment:
    """Record (or correct) who at the customer confirmed the recommendations and when, once the assessment is
    shared with them."""

    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.status not in (Assessment.Status.SHARED, Assessment.Status.ACTION_PLAN):
            raise ValidationError("Share the assessment with the customer before recording who confirmed it.")
        locked.confirmed_by, locked.confirmed_on = _confirmation(locked, data)
        locked.save(update_fields=["confirmed_by", "confirmed_on", "updated_at"])
        audit_record(
            actor=acting_user,
            action="assessment.confirmed",
            obj=locked,
            contact=locked.confirmed_by_id,
            on=locked.confirmed_on.isoformat() if locked.confirmed_on else None,
        )
    assessment.confirmed_by, assessment.confirmed_on = locked.confirmed_by, locked.confirmed_on
    return assessment


# --- the arithmetic -------------------------------------------------------------------------------------


# --- the prompt and the links ---------------------------------------------------------------------------


def _path(assessment: Assessment) -> str:
    tenant = current_tenant()
    return tenant_reverse("assessment_detail", assessment.pk, tenant=tenant) if tenant is not None else ""


def prompts_send(today: date | None = None) -> int:
    """One action item for the owner and one email per contract that passes its mid-point unassessed. Safe to
    run any number of times (a key per contract in the register and in the outbox)."""

    made = 0
    tenant = current_tenant()
    config = AssessmentSettings.current()
    members = set(Membership.objects.values_list("user_id", flat=True))
    for due in due_for_prompt(today):
        contract, account = due["contract"], due["account"]
        owner = account.owner if account.owner_id in members else None
        _, created = action_item_add(
            account=account,
            title=f"Mid-contract assessment due: {contract.title}",
            owner=owner,
            due=due["window_closes"],
            detail=f"{contract.title} runs from {contract.start:%d %b %Y} to {contract.end:%d %b %Y}; its mid-point "
            f"is {contract.midpoint:%d %b %Y}. Interview the customer, map their journey and agree recommendations.",
            source_kind=ACTION_SOURCE,
            source_id=f"contract-{contract.pk}",
            dedupe_key=f"midcontract:{contract.pk}",
        )
        made += created
        if owner is not None and owner.email and tenant is not None:
            url = tenant_reverse("assessment_new", account.pk, tenant=tenant) + f"?contract={contract.pk}"
            email_enqueue(
                key=f"assessment-prompt:{contract.pk}",
                to=[owner.email],
                subject=f"{account.name}: time for the mid-contract assessment",
                text=(
                    f"{contract.title} with {account.name} is past {config.window_start_pct}% of its term "
                    f"(mid-point {contract.midpoint:%d %b %Y}) and has no assessment yet. Start one by "
                    f"{due['window_closes']:%d %b %Y}:\n\n{settings.SITE_URL}{url}\n"
                ),
            )
    return made


def interview_delete(*, assessment: Assessment, interview: Interview) -> None:
    assessment_check_editable(assessment)
    if interview.assessment_id != assessment.pk:
        raise ValidationError("No such interview in this assessment.")
    interview.delete()


# --- the yearly progress report -------------------------------------------------------------------------


def progress_report_request(
    *, assessment: Assessment, year: Any = None, acting_user: Any, today: date | None = None
) -> tuple[Any, bool]:
    """Render the progress of the action plan in one of its years (the year running today unless a finished one
    is named), through today or through the year's last day when it is over. Returns the document and whether it
    was queued now."""

    today = today or timezone.localdate()
    if assessment.shared_on is None or assessment.status not in (
        Assessment.Status.SHARED,
        Assessment.Status.ACTION_PLAN,
    ):
        raise ValidationError("Share the assessment with the customer first: its action plan counts from that day.")
    running = plan_year(assessment.shared_on, today)
    if year in (None, ""):
        number = running
    else:
        number = whole(year) or 0
        if not 1 <= number <= running:
            raise ValidationError({"year": f"A year of the action plan from 1 to {running}."})
    _, last = plan_year_span(assessment.shared_on, number)
    params = {"year": number, "through": min(last, today).isoformat()}
    return document_request(kind=PROGRESS_YEAR_KIND, subject=assessment, params=params, acting_user=acting_user)


def progress_report_prompt(*, assessment: Assessment, year: int, today: date | None = None) -> bool:
    """On the ``year``-th anniversary of the sharing: the progress report of the year that ended, rendered once,
    and the account owner told by email with its link (once: a key per assessment and year). True when something
    was made now; safe to run any number of times, late, or after a missed day."""

    today = today or timezone.localdate()
    with transaction.atomic():
        locked = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("account", "account__owner")
            .get(pk=assessment.pk)
        )
        if locked.shared_on is None or anniversaries_passed(locked.shared_on, today) < year or year < 1:
            return False
        _, last = plan_year_span(locked.shared_on, year)
        params = {"year": year, "through": last.isoformat()}
        document = documents_of(locked, PROGRESS_YEAR_KIND).filter(params=params).order_by("-version").first()
        made = document is None
        if document is None:
            document, _ = document_request(kind=PROGRESS_YEAR_KIND, subject=locked, params=params, acting_user=None)
        account, owner, tenant = locked.account, locked.account.owner, current_tenant()
        key = f"assessment-progress-year:{locked.pk}:{year}"
        if (
            owner is None
            or not owner.email
            or not owner.is_active
            or tenant is None
            or not Membership.objects.filter(user=owner).exists()
        ):
            return made
        link = settings.SITE_URL + tenant_reverse("document_download", document.pk, tenant=tenant)
        page = settings.SITE_URL + tenant_reverse("assessment_detail", locked.pk, tenant=tenant)
        _, sent = email_enqueue(
            key=key,
            to=[owner.email],
            subject=f"{account.name}: the action plan a year on (year {year})",
            text=(
                f"It is {year} year{'s' if year != 1 else ''} since the assessment “{locked.title}” of {account.name} "
                f"was shared with the customer ({locked.shared_on:%d %b %Y}). The progress report of its action plan "
                f"for {_span_text(locked.shared_on, year)} is ready to read: what was done and what is open, what is "
                f"overdue, what changed in the year, and the payback each recommendation should bring.\n\n"
                f"The report (PDF): {link}\nThe assessment: {page}\n"
            ),
        )
    return made or sent


def _span_text(shared_on: date, year: int) -> str:
    first, last = plan_year_span(shared_on, year)
    return f"{first:%d %b %Y} to {last:%d %b %Y}"


def progress_reports_send(today: date | None = None) -> int:
    """The anniversary prompts due today in the current tenant (see ``progress_report_prompt``)."""
    today = today or timezone.localdate()
    return sum(
        progress_report_prompt(assessment=assessment, year=year, today=today)
        for assessment, year in yearly_reports_due(today)
    )


def timeline_backfill() -> int:
    """The assessments shared before the timeline existed, on their accounts' timelines (once each)."""
    shared = Assessment.objects.filter(shared_on__isnull=False)
    return sum(_shared_event(a, at=timezone.make_aware(datetime.combine(a.shared_on, time(12, 0)))) for a in shared)


def _shared_event(assessment: Assessment, *, at: datetime | None = None, by: Any = None) -> bool:
    """The assessment shared with the customer, on its account's timeline (once); whether it was recorded now."""
    return bool(
        timeline_event(
            account=assessment.account_id,
            event=EVENT_SHARED,
            summary=f"Assessment \u201c{assessment}\u201d shared with the customer",
            key=f"assessment-shared:{assessment.pk}",
            at=at,
            source_id=assessment.pk,
            by=by,
        )
    )
