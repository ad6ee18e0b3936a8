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
        version.in_use = True  # as a campaign freezes it
        version.save(update_fields=["in_use"])
        run = Campaign.objects.create(name="Autumn pulse", version=version, status="sending", **campaign)
        contact = Contact.objects.create(account=account, name="Erin", email="erin@example.test")
        salt, digest = services.token_salt_new(world.tenant.pk)
        invitation = Invitation.objects.create(campaign=run, contact=contact, token_salt=salt, token_hash=digest,
                                               status="sent")  # fmt: skip
        token = services.invitation_token(invitation)
        answers = {str(q.pk): {"nps": "9", "rating": "4", "text": "Great team"}[q.kind]
                   for q in Question.objects.filter(version=version)}  # fmt: skip
    return token, invitation, answers


def as_posted(answers: dict) -> dict:
    """Answers as the survey form posts them: a list of values per question."""
    return {key: value if isinstance(value, list) else [value] for key, value in answers.items()}


def submit(token: str, answers: dict) -> Response:
    """A customer's answers through the product's one way in (``services.response_submit_by_token``, the survey's
    version unknown: the invitation is looked up); the response it took."""
    services.response_submit_by_token(token, None, as_posted(answers))
    return Response.objects.get(invitation__token_hash=services.token_hash(token))


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
        response = submit(token, answers)
        assert response.nps == 9 and response.attitude == 4 and response.comment == "Great team"
        invitation.refresh_from_db()
        assert invitation.status == "completed"
        with pytest.raises(services.TokenInvalid):  # replayed after completion
            submit(token, answers)
        assert Response.objects.count() == 1


@pytest.mark.parametrize("path", ["in_tenant", "public"])
@pytest.mark.parametrize("change", ["tampered", "expired", "revoked", "closed", "other_tenant"])
def test_every_bad_token_is_the_same_refusal(tenant_a, tenant_b, account_a, change, path):
    """Both paths of the one way in: the invitation looked up first (``in_tenant``), and the survey's questions
    already known (``public``: its one-statement take must refuse on its own)."""
    token, _invitation, answers = invite(tenant_a, account_a)
    version_id = _primed(tenant_a, token)
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
        world = tenant_b  # the right secret, named as another tenant's: nothing there
        token = f"{tenant_b.tenant.pk}.{token.split('.', 1)[1]}"
    with pytest.raises(services.TokenInvalid):
        if path == "public":
            services.response_submit_by_token(token, version_id, as_posted(answers))
        else:
            with world.ctx():
                submit(token, answers)
    with tenant_a.ctx():
        assert not Response.objects.exists()


def test_bad_answers_are_refused_with_each_question_and_nothing_is_saved(tenant_a, account_a):
    token, invitation, answers = invite(tenant_a, account_a)
    with tenant_a.ctx():
        questions = {q.kind: str(q.pk) for q in Question.objects.filter(version=invitation.campaign.version)}
        for bad in ({questions["nps"]: "11"}, {questions["nps"]: "-1"}, {questions["nps"]: "nine"},
                    {questions["rating"]: "6"}, {questions["text"]: "x" * 5001}, {questions["nps"]: ""}):  # fmt: skip
            with pytest.raises(ValidationError):
                submit(token, {**answers, **bad})
        assert not Response.objects.exists()
        invitation.refresh_from_db()
        assert invitation.status == "sent"  # still usable after a refused attempt


def at_once(submit, tabs=4):
    """Run ``submit`` from ``tabs`` threads released together (each with its own connection); their outcomes."""
    from django.db import connection as main_connection

    outcomes, barrier = [], threading.Barrier(tabs)

    def tab():
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            outcomes.append(submit())
        except services.TokenInvalid as exc:
            outcomes.append(("spent", exc.tenant.pk if exc.tenant else None))
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(tabs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    main_connection.close()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_make_one_response(tenant_a, account_a):
    token, _invitation, answers = invite(tenant_a, account_a)

    def take():
        with tenant_a.ctx():
            submit(token, answers)
        return ("saved", tenant_a.tenant.pk)

    assert sorted(o[0] for o in at_once(take)) == ["saved", "spent", "spent", "spent"]
    with tenant_a.ctx():
        assert Response.objects.count() == 1


@pytest.mark.parametrize(("asynchronous", "expected"), [(True, "off"), (False, "local")])
def test_a_taken_answer_commits_without_waiting_for_its_flush_unless_told(tenant_a, account_a, settings,
                                                                          asynchronous, expected):  # fmt: skip
    from django.db import connection

    settings.SURVEY_ASYNC_COMMIT = asynchronous
    token, _invitation, answers = invite(tenant_a, account_a)
    with tenant_a.ctx(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = local")  # told to wait: whatever the server says stays
        submit(token, answers)
        cursor.execute("SELECT current_setting('synchronous_commit')")  # still the answer's transaction
        assert cursor.fetchone()[0] == expected


def _primed(world, token):
    """Look the token up once, as the form page does: its survey version's questions are then known here."""
    with services.token_context(token) as (_tenant, invitation, _questions):
        return invitation.campaign.version_id


@pytest.mark.django_db(transaction=True)
def test_the_public_answer_takes_once_in_one_round_trip_even_from_four_tabs(tenant_a, account_a):
    """The hot path: no transaction around it, the questions known, one pipeline that commits by itself."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token, _invitation, answers = invite(tenant_a, account_a)
    version_id = _primed(tenant_a, token)

    def submit():
        with CaptureQueriesContext(connection) as queries:
            tenant = services.response_submit_by_token(token, version_id, as_posted(answers))
        return ("saved", tenant.pk, [q["sql"] for q in queries.captured_queries])

    outcomes = at_once(submit)
    saved = [o for o in outcomes if o[0] == "saved"]
    assert len(saved) == 1 and saved[0][1] == tenant_a.tenant.pk
    # Two statements (entering the tenant, taking the answers) in one round trip: no BEGIN, no COMMIT.
    assert len(saved[0][2]) == 2 and not any(sql in ("BEGIN", "COMMIT") for sql in saved[0][2])
    assert sorted(o[1] for o in outcomes if o[0] == "spent") == [tenant_a.tenant.pk] * 3  # branded refusals
    with tenant_a.ctx():
        assert Response.objects.count() == 1
        assert Invitation.objects.get().status == "completed"


@pytest.mark.django_db(transaction=True)
def test_the_public_answer_checks_against_the_campaigns_own_questions(tenant_a, account_a):
    """A page showing another survey version (a stale cookie, a forged one) cannot slip answers past the check:
    the one-trip take finds no invitation of that version and the answer is checked against the right one."""
    token, invitation, answers = invite(tenant_a, account_a)
    version_id = _primed(tenant_a, token)
    with tenant_a.ctx():
        other = services.survey_defaults_ensure().versions.create(number=2, in_use=True)
        nps = Question.objects.get(version_id=version_id, kind="nps")
        mine = Question.objects.create(version=other, kind="nps", role="nps", text="Recommend?", required=True)
    _primed(tenant_a, token)
    services._QUESTIONS[(tenant_a.tenant.pk, other.pk)] = [mine]  # as if another page had shown version 2
    with pytest.raises(ValidationError):  # version 2's answer alone misses version 1's required questions
        services.response_submit_by_token(token, other.pk, as_posted({str(mine.pk): "9"}))
    with tenant_a.ctx():
        assert not Response.objects.exists()
    tenant = services.response_submit_by_token(token, other.pk, as_posted({str(mine.pk): "9", **answers}))
    assert tenant.pk == tenant_a.tenant.pk
    with tenant_a.ctx():
        response = Response.objects.get()
        assert response.invitation_id == invitation.pk and response.nps == int(answers[str(nps.pk)])


@pytest.mark.django_db(transaction=True)
def test_an_inactive_tenants_link_takes_nothing_on_the_one_trip_path(tenant_a, account_a):
    token, _invitation, answers = invite(tenant_a, account_a)
    version_id = _primed(tenant_a, token)
    type(tenant_a.tenant).objects.filter(pk=tenant_a.tenant.pk).update(active=False)
    with pytest.raises(services.TokenInvalid):
        services.response_submit_by_token(token, version_id, as_posted(answers))
    type(tenant_a.tenant).objects.filter(pk=tenant_a.tenant.pk).update(active=True)
    with tenant_a.ctx():
        assert not Response.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_answer_already_there_refuses_the_link_and_changes_nothing(tenant_a, account_a):
    """Should a response ever exist for a live invitation, the constraint refuses a second one on both ways in,
    the refusal is the usual one, and the connection goes on working."""
    token, invitation, answers = invite(tenant_a, account_a)
    version_id = _primed(tenant_a, token)
    with tenant_a.ctx():
        Response.objects.create(invitation=invitation, answers={}, nps=5)
    with pytest.raises(services.TokenInvalid) as refused:
        services.response_submit_by_token(token, version_id, as_posted(answers))
    assert refused.value.tenant == tenant_a.tenant
    with tenant_a.ctx():
        assert Invitation.objects.get().status == "sent" and Response.objects.get().nps == 5
