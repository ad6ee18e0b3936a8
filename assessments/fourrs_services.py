"""The 4 R's in the workspace, changed: taking it (alone or in a round), the rounds admins run."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account
from assessments import fourrs
from assessments.fourrs_selectors import respondents
from assessments.models import FourRsInvitation, FourRsResult, FourRsRound, Scope
from sam.models import Membership, User
from sam.numbers import whole
from sam.outbox import email_enqueue
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_reverse


def _scope_account(scope: Any, account: Any) -> tuple[str, Any]:
    if scope not in Scope.values:
        raise ValidationError({"scope": "About the organisation, or about one account team."})
    if scope == Scope.ORGANISATION:
        return scope, None

    account_id = whole(getattr(account, "pk", account))
    found = Account.objects.alive().filter(pk=account_id).first() if account_id is not None else None
    if found is None:
        raise ValidationError({"account": "Choose the account whose team this is about."})
    return scope, found


def fourrs_result_submit(
    *,
    respondent: Any,
    answers: Any,
    round: FourRsRound | None = None,
    scope: str = Scope.ORGANISATION,
    account: Any = None,
) -> FourRsResult:
    """Store one complete set of 15 ratings with its subtotals, total and band. In a round: only while it is
    open, only for those invited, once per person."""
    if not isinstance(answers, dict):
        raise ValidationError({"answers": "A rating for each statement."})
    values, errors = fourrs.clean(answers)
    if errors:
        raise ValidationError(errors)
    if round is not None:
        if not round.is_open():
            raise ValidationError("This round is closed.")
        if not FourRsInvitation.objects.filter(round=round, user=respondent).exists():
            raise ValidationError("You are not invited to this round.")
        scope, account = round.scope, round.account
    else:
        scope, account = _scope_account(scope, account)
    result = fourrs.score(values)
    try:
        with transaction.atomic():
            return FourRsResult.objects.create(
                round=round,
                respondent=respondent,
                scope=scope,
                account=account,
                answers=values,
                resolution=result["resolution"],
                retention=result["retention"],
                revenue=result["revenue"],
                relationships=result["relationships"],
                total=result["total"],
                band=result["band"],
            )
    except IntegrityError as exc:
        raise ValidationError("You have answered this round already.") from exc


def fourrs_round_create(*, data: dict[str, Any], acting_user: Any) -> FourRsRound:
    title = data.get("title") or ""
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > 200:
        raise ValidationError({"title": "A title of 1 to 200 characters."})
    scope, account = _scope_account(data.get("scope") or Scope.ORGANISATION, data.get("account"))
    closes_on = data.get("closes_on")
    if closes_on in (None, ""):
        closes_on = None
    elif not isinstance(closes_on, date):
        try:
            closes_on = date.fromisoformat(str(closes_on)[:10])
        except ValueError as exc:
            raise ValidationError({"closes_on": "A date as YYYY-MM-DD."}) from exc
    if closes_on is not None and closes_on < timezone.localdate():
        raise ValidationError({"closes_on": "A round closes today or later."})
    return FourRsRound.objects.create(
        title=title.strip(), scope=scope, account=account, closes_on=closes_on, created_by=acting_user
    )


def fourrs_round_invite(*, round: FourRsRound, user_ids: list[Any], acting_user: Any) -> int:
    """Invite members to answer (one email each, ever); returns how many were newly invited."""

    if not round.is_open():
        raise ValidationError("This round is closed.")

    given = {whole(v) for v in user_ids}
    if not user_ids or None in given:
        raise ValidationError({"users": "Choose members of this workspace."})
    ids = {i for i in given if i is not None}
    members = set(Membership.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    if members != ids:
        raise ValidationError({"users": "No such member of this workspace."})
    if set(respondents().filter(pk__in=ids).values_list("pk", flat=True)) != ids:
        raise ValidationError({"users": "Viewers do not take the self-assessment: invite the others."})
    already = set(FourRsInvitation.objects.filter(round=round).values_list("user_id", flat=True))
    new = sorted(ids - already)
    FourRsInvitation.objects.bulk_create([FourRsInvitation(round=round, user_id=i) for i in new], ignore_conflicts=True)
    tenant = current_tenant()
    url = settings.SITE_URL + tenant_reverse("fourrs_take", tenant=tenant) + f"?round={round.pk}" if tenant else ""
    about = (
        "the organisation"
        if round.scope == Scope.ORGANISATION
        else f"the {getattr(round.account, 'name', '')} account team"
    )
    for user in User.objects.filter(pk__in=new):
        if user.email:
            email_enqueue(
                key=f"fourrs-invite:{round.pk}:{user.pk}",
                to=[user.email],
                subject=f"The 4 R's self-assessment: {round.title}",
                text=(
                    f"{acting_user.display_name if acting_user else 'An admin'} asks you to rate 15 statements about "
                    f"how {about} handles its key accounts (about five minutes)"
                    f"{', by ' + format(round.closes_on, '%d %b %Y') if round.closes_on else ''}.\n\n{url}\n"
                ),
            )
    return len(new)


def fourrs_round_close(*, round: FourRsRound) -> None:
    if round.closed_at is None:
        round.closed_at = timezone.now()
        round.save(update_fields=["closed_at"])
