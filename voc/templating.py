"""Survey templates (tenant admins): questions with kinds, roles, help text and choices.

A version that a campaign has used is frozen: the first change copies it into a new version with the same
questions, and the change lands there. Campaigns keep the version they were sent with, so their answers
always match their questions.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sam.models import User
from sam.services import audit_record
from voc.models import Question, SurveyTemplate, SurveyVersion

MAX_QUESTIONS = 30
MAX_CHOICES = 12
AXIS_ROLES: dict[str, str] = {
    Question.Role.NPS: Question.Kind.NPS,
    Question.Role.ATTITUDE: Question.Kind.RATING,
    Question.Role.INTENT: Question.Kind.RATING,
}


def newest(template: SurveyTemplate) -> SurveyVersion:
    return SurveyVersion.objects.filter(template=template).order_by("-number").first() or SurveyVersion.objects.create(
        template=template, number=1
    )


def newest_of(templates: list[SurveyTemplate]) -> dict[int, SurveyVersion]:
    """Each template's newest version (template id -> version), read in one query; a template without one gets
    its first."""
    found = {
        v.template_id: v
        for v in SurveyVersion.objects.filter(template__in=templates)
        .order_by("template_id", "-number")
        .distinct("template_id")
    }
    return {t.pk: found.get(t.pk) or newest(t) for t in templates}


def editable(template: SurveyTemplate) -> SurveyVersion:
    """The version changes go to: the newest, or a fresh copy of it when a campaign has used it."""
    version = newest(template)
    if not version.in_use:
        return version
    copy = SurveyVersion.objects.create(template=template, number=version.number + 1)
    Question.objects.bulk_create(
        [
            Question(
                version=copy,
                order=q.order,
                kind=q.kind,
                role=q.role,
                text=q.text,
                help_text=q.help_text,
                required=q.required,
                choices=q.choices,
            )
            for q in version.questions.all()
        ]
    )
    return copy


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    kind, role = str(data.get("kind", "")), str(data.get("role", Question.Role.OTHER) or Question.Role.OTHER)
    text, help_text = str(data.get("text", "")).strip(), str(data.get("help_text", "")).strip()
    if kind not in Question.Kind.values:
        raise ValidationError({"kind": "Choose a question type."})
    if role not in Question.Role.values:
        raise ValidationError({"role": "Choose what the question measures."})
    if not text or len(text) > 300:
        raise ValidationError({"text": "Write the question, in at most 300 characters."})
    if len(help_text) > 300:
        raise ValidationError({"help_text": "At most 300 characters."})
    if role in AXIS_ROLES and kind != AXIS_ROLES[role]:
        expected = Question.Kind(AXIS_ROLES[role]).label
        raise ValidationError({"role": f"{Question.Role(role).label} is measured by a {expected} question."})
    raw_choices = data.get("choices", [])
    if isinstance(raw_choices, str):
        raw_choices = raw_choices.splitlines()
    choices = [str(c).strip()[:120] for c in raw_choices if str(c).strip()]
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        if not 2 <= len(choices) <= MAX_CHOICES or len(set(choices)) != len(choices):
            raise ValidationError({"choices": f"Give 2 to {MAX_CHOICES} different options, one a line."})
    else:
        choices = []
    required = data.get("required") in (True, "on", "true", "1", 1)
    return {"kind": kind, "role": role, "text": text, "help_text": help_text, "choices": choices, "required": required}


def _one_per_role(version: SurveyVersion, role: str, keep: int | None = None) -> None:
    others = version.questions.filter(role=role)
    if keep is not None:
        others = others.exclude(pk=keep)
    if role != Question.Role.OTHER and others.exists():
        raise ValidationError({"role": f"This survey already has its {Question.Role(role).label} question."})


@transaction.atomic
def question_add(*, template: SurveyTemplate, data: dict[str, Any], acting_user: User | None) -> Question:
    clean = _clean(data)
    version = editable(template)
    if version.questions.count() >= MAX_QUESTIONS:
        raise ValidationError({"text": f"A survey has at most {MAX_QUESTIONS} questions; keep it short."})
    _one_per_role(version, clean["role"])
    order = (version.questions.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    question = Question.objects.create(version=version, order=order, **clean)
    audit_record(actor=acting_user, action="voc.question_add", obj=template, version=version.number, text=clean["text"])
    return question


def _same_in(version: SurveyVersion, question: Question) -> Question:
    """The question in ``version`` (the copy made for a change, or itself)."""
    if question.version_id == version.pk:
        return question
    same = version.questions.filter(order=question.order, text=question.text).first()
    if same is None:
        raise ValidationError("This question is from an earlier version of the survey; change the newest one.")
    return same


@transaction.atomic
def question_update(*, question: Question, data: dict[str, Any], acting_user: User | None) -> Question:
    clean = _clean(data)
    template = question.version.template
    target = _same_in(editable(template), question)
    _one_per_role(target.version, clean["role"], keep=target.pk)
    for name, value in clean.items():
        setattr(target, name, value)
    target.save()
    audit_record(
        actor=acting_user, action="voc.question_update", obj=template, version=target.version.number, text=clean["text"]
    )
    return target


@transaction.atomic
def question_delete(*, question: Question, acting_user: User | None) -> None:
    template = question.version.template
    target = _same_in(editable(template), question)
    if target.version.questions.count() == 1:
        raise ValidationError("A survey needs at least one question.")
    target.delete()
    audit_record(actor=acting_user, action="voc.question_delete", obj=template, text=question.text)


@transaction.atomic
def question_move(*, question: Question, up: bool, acting_user: User | None) -> None:
    template = question.version.template
    target = _same_in(editable(template), question)
    siblings = list(target.version.questions.order_by("order", "pk"))
    index = siblings.index(target)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for n, q in enumerate(siblings):
        Question.objects.filter(pk=q.pk).update(order=n)


@transaction.atomic
def template_create(*, name: str, acting_user: User | None) -> SurveyTemplate:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError({"name": "Give the survey a name of at most 120 characters."})
    try:
        with transaction.atomic():
            template = SurveyTemplate.objects.create(name=name)
    except IntegrityError as exc:
        raise ValidationError({"name": "A survey with this name exists."}) from exc
    SurveyVersion.objects.create(template=template, number=1)
    audit_record(actor=acting_user, action="voc.template_create", obj=template)
    return template


@transaction.atomic
def template_make_default(*, template: SurveyTemplate, acting_user: User | None) -> None:
    SurveyTemplate.objects.filter(is_default=True).exclude(pk=template.pk).update(is_default=False)
    SurveyTemplate.objects.filter(pk=template.pk).update(is_default=True)
    audit_record(actor=acting_user, action="voc.template_default", obj=template)
