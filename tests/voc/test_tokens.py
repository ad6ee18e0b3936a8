"""Invitation tokens and responses: single use, no leaks, one response however many tabs submit at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Contact
from voc import services
from voc.models import Campaign, Invitation, Question, Response

pytestmark = pytest.mark.django_db


def invite(world, account, **campaign):
    with world.ctx():
        template = services.survey_defaults_ensure()
        version = template.versions.get()
        run = Campaign.objects.create(name="Autumn pulse", version=version, status="sending", **campaign)
        contact = Contact.objects.create(account=account, name="Erin", email="erin@example.test")
        salt, digest = services.token_salt_new(world.tenant.pk)
        invitation = Invitation.objects.create(campaign=run, contact=contact, token_salt=salt, token_hash=digest,
                                               status="sent")  # fmt: skip
        token = services.invitation_token(invitation)
        answers = {str(q.pk): {"nps": "9", "rating": "4", "text": "Great team"}[q.kind]
                   for q in Question.objects.filter(version=version)}  # fmt: skip
    return token, invitation, answers


def test_the_default_survey_has_the_two_axes(tenant_a):
    with tenant_a.ctx():
        roles = set(Question.objects.filter(version__template__is_default=True).values_list("role", flat=True))
    assert {"nps", "attitude", "intent"} <= roles


def test_a_token_is_long_random_and_stored_only_as_a_hash(tenant_a, account_a):
    token, invitation, _ = invite(tenant_a, account_a)
    tenant_part, secret = token.split(".")
    assert int(tenant_part) == tenant_a.tenant.pk and len(secret) >= 43  # an HMAC-SHA256 of 128 random bits
    assert len(invitation.token_salt) == 32 and token not in str(invitation.__dict__)
    assert invitation.token_hash == services.token_hash(token) and token not in invitation.token_hash
    assert services.tenant_of_token(token) == tenant_a.tenant.pk
    assert services.tenant_of_token("abc") is None and services.tenant_of_token("12.short") is None


def test_a_response_is_taken_once_and_the_token_is_spent(tenant_a, account_a):
    token, invitation, answers = invite(tenant_a, account_a)
    with tenant_a.ctx():
        response = services.response_submit(token=token, answers=answers)
        assert response.nps == 9 and response.attitude == 4 and response.comment == "Great team"
        invitation.refresh_from_db()
        assert invitation.status == "completed"
        with pytest.raises(services.TokenInvalid):  # replayed after completion
            services.response_submit(token=token, answers=answers)
        assert Response.objects.count() == 1


@pytest.mark.parametrize("change", ["tampered", "expired", "revoked", "closed", "other_tenant"])
def test_every_bad_token_is_the_same_refusal(tenant_a, tenant_b, account_a, change):
    token, _invitation, answers = invite(tenant_a, account_a)
    world = tenant_a
    with tenant_a.ctx():
        if change == "tampered":
            token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        elif change == "expired":
            Campaign.objects.update(closes_at=timezone.now() - timedelta(minutes=1))
        elif change == "revoked":
            Invitation.objects.update(status="revoked")
        elif change == "closed":
            Campaign.objects.update(status="closed")
    if change == "other_tenant":
        world = tenant_b  # the right token, looked up in another tenant: nothing there
    with world.ctx(), pytest.raises(services.TokenInvalid):
        services.response_submit(token=token, answers=answers)
    with tenant_a.ctx():
        assert not Response.objects.exists()


def test_bad_answers_are_refused_with_each_question_and_nothing_is_saved(tenant_a, account_a):
    token, invitation, answers = invite(tenant_a, account_a)
    with tenant_a.ctx():
        questions = {q.kind: str(q.pk) for q in Question.objects.filter(version=invitation.campaign.version)}
        for bad in ({questions["nps"]: "11"}, {questions["nps"]: "-1"}, {questions["nps"]: "nine"},
                    {questions["rating"]: "6"}, {questions["text"]: "x" * 5001}, {questions["nps"]: ""}):  # fmt: skip
            with pytest.raises(ValidationError):
                services.response_submit(token=token, answers={**answers, **bad})
        assert not Response.objects.exists()
        invitation.refresh_from_db()
        assert invitation.status == "sent"  # still usable after a refused attempt


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_make_one_response(tenant_a, account_a):
    from django.db import connection as main_connection

    token, _invitation, answers = invite(tenant_a, account_a)
    outcomes, barrier = [], threading.Barrier(4)

    def submit():
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            with tenant_a.ctx():
                services.response_submit(token=token, answers=answers)
            outcomes.append("saved")
        except services.TokenInvalid:
            outcomes.append("spent")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    main_connection.close()
    assert sorted(outcomes) == ["saved", "spent", "spent", "spent"]
    with tenant_a.ctx():
        assert Response.objects.count() == 1
