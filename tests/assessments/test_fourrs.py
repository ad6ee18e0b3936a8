"""The 4 R's arithmetic (subtotals, total, bands, rollups) and taking it alone or in a round."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments import fourrs, fourrs_selectors, fourrs_services
from assessments.models import FourRsInvitation, FourRsResult, FourRsRound
from sam.models import OutboundEmail
from sam.roles import Role


def answers_for(total_by_r: dict[str, list[int]]) -> dict[str, int]:
    found = {}
    for r, values in total_by_r.items():
        keys = [s.key for s in fourrs.STATEMENTS if s.r == r]
        assert len(keys) == len(values)
        found.update(dict(zip(keys, values, strict=True)))
    return found


def test_the_fifteen_statements_in_four_rs():
    counts = {r.key: sum(1 for s in fourrs.STATEMENTS if s.r == r.key) for r in fourrs.RS}
    assert counts == {"resolution": 4, "retention": 2, "revenue": 5, "relationships": 4}
    assert fourrs.MAX_TOTAL == 75 and fourrs.MAXIMA == {"resolution": 20, "retention": 10, "revenue": 25,
                                                        "relationships": 20}  # fmt: skip
    assert len(set(fourrs.KEYS)) == 15 and all(s.practice and 0 < len(s.short) <= 25 for s in fourrs.STATEMENTS)


@pytest.mark.parametrize(("total", "band"), [
    (15, "help"), (39, "help"), (40, "concern"), (49, "concern"), (50, "good"), (59, "good"), (60, "excellent"),
    (75, "excellent"), (39.4, "help"), (39.5, "concern"), (59.49, "good"), (59.5, "excellent"),
])  # fmt: skip
def test_band_edges(total, band):
    assert fourrs.band(total) == band


def test_subtotals_total_and_band():
    answers = answers_for({"resolution": [5, 4, 3, 2], "retention": [1, 5], "revenue": [2, 2, 2, 2, 2],
                           "relationships": [4, 4, 4, 4]})  # fmt: skip
    assert fourrs.score(answers) == {"resolution": 14, "retention": 6, "revenue": 10, "relationships": 16,
                                     "total": 46, "band": "concern"}  # fmt: skip
    assert fourrs.score(dict.fromkeys(fourrs.KEYS, 5))["total"] == 75
    assert fourrs.score(dict.fromkeys(fourrs.KEYS, 4))["band"] == "excellent"  # 60


def test_clean_refuses_missing_and_out_of_range_ratings():
    values, errors = fourrs.clean({**dict.fromkeys(fourrs.KEYS[:13], "3"), fourrs.KEYS[13]: "6"})
    assert set(errors) == {fourrs.KEYS[13], fourrs.KEYS[14]}
    assert errors[fourrs.KEYS[14]] == "Rate this statement." and errors[fourrs.KEYS[13]] == "A rating from 1 to 5."
    for bad in (0, 6, -1, "x", "3.5", True, 2.0, None, [3]):
        _, errors = fourrs.clean({**dict.fromkeys(fourrs.KEYS, 3), fourrs.KEYS[0]: bad})
        assert fourrs.KEYS[0] in errors, bad
    _, errors = fourrs.clean({**dict.fromkeys(fourrs.KEYS, 3), "extra": 3})
    assert "__all__" in errors
    values, errors = fourrs.clean(dict.fromkeys(fourrs.KEYS, " 4"))
    assert not errors and set(values.values()) == {4}


def test_rollup_averages_per_item_and_per_r_and_the_weakest():
    low = {**dict.fromkeys(fourrs.KEYS, 4), "rev_incentives": 1, "res_prevent": 2}
    high = {**dict.fromkeys(fourrs.KEYS, 5), "rev_incentives": 2, "res_prevent": 2}
    result = fourrs.rollup([low, high])
    items = {i["key"]: i["average"] for i in result["items"]}
    assert items["rev_incentives"] == 1.5 and items["res_prevent"] == 2 and items["rel_exec"] == 4.5
    per_r = {r["key"]: r["average"] for r in result["rs"]}
    assert per_r == {"resolution": (14 + 17) / 2, "retention": 9, "revenue": (17 + 22) / 2,
                     "relationships": 18}  # fmt: skip
    assert result["total"] == (55 + 69) / 2 and result["band"]["key"] == "excellent"
    assert [i["key"] for i in result["weakest"]] == ["rev_incentives", "res_prevent"]
    assert result["weakest"][0]["statement"].practice.startswith("Tie part of each account team")
    assert fourrs.rollup([])["total"] is None and fourrs.rollup([])["band"] is None
    # Nothing under 3: the three lowest are still shown.
    assert len(fourrs.rollup([dict.fromkeys(fourrs.KEYS, 4)])["weakest"]) == 3


def test_compare_two_rollups():
    before = fourrs.rollup([dict.fromkeys(fourrs.KEYS, 2)])
    after = fourrs.rollup([{**dict.fromkeys(fourrs.KEYS, 3), "rel_tools": 1}])
    delta = fourrs.compare(before, after)
    assert delta["total"] == {"before": 30, "after": 43, "delta": 13}
    assert {i["statement"].key: i["delta"] for i in delta["items"]}["rel_tools"] == -1
    assert [r["delta"] for r in delta["rs"]] == [4, 2, 5, 2]


@pytest.mark.django_db
def test_taking_it_alone_and_about_an_account_team(tenant_a, account_a, tenant_b):
    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        item = fourrs_services.fourrs_result_submit(respondent=member, answers=dict.fromkeys(fourrs.KEYS, "3"))
        assert (item.total, item.band, item.resolution, item.revenue) == (45, "concern", 12, 15)
        team = fourrs_services.fourrs_result_submit(
            respondent=member, answers=dict.fromkeys(fourrs.KEYS, 5), scope="account_team", account=str(account_a.pk)
        )
        assert team.account == account_a and team.total == 75
        with pytest.raises(ValidationError) as missing:
            fourrs_services.fourrs_result_submit(respondent=member, answers=dict.fromkeys(fourrs.KEYS[:14], 3))
        assert fourrs.KEYS[14] in missing.value.message_dict
        with pytest.raises(ValidationError):
            fourrs_services.fourrs_result_submit(
                respondent=member, answers={**dict.fromkeys(fourrs.KEYS, 3), fourrs.KEYS[0]: 9}
            )
        with pytest.raises(ValidationError):
            fourrs_services.fourrs_result_submit(
                respondent=member, answers=dict.fromkeys(fourrs.KEYS, 3), scope="account_team"
            )
        with pytest.raises(ValidationError):
            fourrs_services.fourrs_result_submit(respondent=member, answers="all fives")
        assert FourRsResult.objects.count() == 2
    with tenant_b.ctx():  # another tenant's account is not an account here
        from accounts.models import Account

        assert not Account.objects.filter(pk=account_a.pk).exists()
        with pytest.raises(ValidationError):
            fourrs_services.fourrs_result_submit(
                respondent=tenant_b.users[Role.MEMBER],
                answers=dict.fromkeys(fourrs.KEYS, 3),
                scope="account_team",
                account=account_a.pk,
            )


@pytest.mark.django_db
def test_a_round_invites_by_email_answers_once_and_closes(tenant_a, django_capture_on_commit_callbacks):
    admin, member, am = tenant_a.admin, tenant_a.users[Role.MEMBER], tenant_a.users[Role.ACCOUNT_MANAGER]
    with tenant_a.ctx():
        round = fourrs_services.fourrs_round_create(data={"title": "Review 2026"}, acting_user=admin)
        with django_capture_on_commit_callbacks(execute=True):
            assert fourrs_services.fourrs_round_invite(round=round, user_ids=[member.pk, am.pk], acting_user=admin) == 2
            assert fourrs_services.fourrs_round_invite(round=round, user_ids=[member.pk], acting_user=admin) == 0
        assert OutboundEmail.objects.filter(idempotency_key__startswith="fourrs-invite:").count() == 2
        with pytest.raises(ValidationError):
            fourrs_services.fourrs_round_invite(round=round, user_ids=[999999], acting_user=admin)
        with pytest.raises(ValidationError):  # not invited
            fourrs_services.fourrs_result_submit(respondent=admin, answers=dict.fromkeys(fourrs.KEYS, 3), round=round)
        fourrs_services.fourrs_result_submit(respondent=member, answers=dict.fromkeys(fourrs.KEYS, 2), round=round)
        with pytest.raises(ValidationError, match="answered this round already"):
            fourrs_services.fourrs_result_submit(respondent=member, answers=dict.fromkeys(fourrs.KEYS, 5), round=round)
        fourrs_services.fourrs_result_submit(respondent=am, answers=dict.fromkeys(fourrs.KEYS, 4), round=round)
        result = fourrs_selectors.round_rollup(round)
        assert result["respondents"] == 2 and result["hidden"] and result["total"] is None  # open, and only two
        assert [p["answered_at"] is not None for p in fourrs_selectors.round_people(round)] == [True, True]
        fourrs_services.fourrs_round_close(round=round)
        assert fourrs_selectors.round_rollup(round)["hidden"]  # closed, but two answers give each other away
        late = tenant_a.users[Role.EXECUTIVE]
        FourRsInvitation.objects.create(round=round, user=late)
        with pytest.raises(ValidationError, match="closed"):
            fourrs_services.fourrs_result_submit(respondent=late, answers=dict.fromkeys(fourrs.KEYS, 3), round=round)
        past = FourRsRound.objects.create(title="Past", closes_on=timezone.localdate() - timedelta(days=1))
        assert not past.is_open()
        with pytest.raises(ValidationError):
            fourrs_services.fourrs_round_create(data={"title": "x", "closes_on": "2001-01-01"}, acting_user=admin)
        with pytest.raises(ValidationError):
            fourrs_services.fourrs_round_create(data={"title": ""}, acting_user=admin)


def test_reworded_statements_keep_their_answers_and_show_the_words_read():
    by_key = {s.key: s for s in fourrs.STATEMENTS}
    before, after = fourrs.REWORDED - timedelta(days=1), fourrs.REWORDED
    # Statement 6 reviews what goes well and what does not; 13 is the account managers meeting executives.
    assert "what is going well and what is not" in by_key["ret_meetings"].text
    assert by_key["rel_exec"].text.startswith("Our account managers find reasons to meet the customer's executives")
    assert by_key["rel_exec"].text_on(before) == "Our executives meet their counterparts at key accounts regularly."
    assert by_key["rel_exec"].text_on(after) == by_key["rel_exec"].text == by_key["rel_exec"].text_on(None)
    assert by_key["res_process"].text_on(before) == by_key["res_process"].text  # never reworded
    # 2: stepping in personally when it is called for; 8: training and support; 11: new responsibilities
    assert "step in ourselves" in by_key["res_step_in"].text and "calls for it" in by_key["res_step_in"].text
    assert "support them" in by_key["rev_training"].text
    assert "new responsibilities" in by_key["rev_make_room"].text and "less important" in by_key["rev_make_room"].text
    assert by_key["rev_make_room"].text_on(before).startswith("Before we add revenue duties")
    answers = dict.fromkeys(fourrs.KEYS, 4)
    old, new = fourrs.rollup([answers], on=before), fourrs.rollup([answers], on=after)
    assert old["total"] == new["total"] == 60  # the same answers, the same scores
    texts = {i["key"]: (i["text"], j["text"]) for i, j in zip(old["items"], new["items"], strict=True)}
    assert texts["ret_meetings"][0] != texts["ret_meetings"][1] and texts["rel_tools"][0] == texts["rel_tools"][1]


def test_a_result_reads_as_worded_when_it_was_taken(tenant_a):
    with tenant_a.ctx():
        item = fourrs_services.fourrs_result_submit(respondent=tenant_a.admin, answers=dict.fromkeys(fourrs.KEYS, 2))
        taken_before = timezone.make_aware(datetime.combine(fourrs.REWORDED - timedelta(days=30), time(12)))
        FourRsResult.objects.filter(pk=item.pk).update(taken_at=taken_before)
        item.refresh_from_db()
        result = fourrs_selectors.result_of(item)
    texts = {i["key"]: i["text"] for i in result["items"]}
    assert texts["rel_exec"] == "Our executives meet their counterparts at key accounts regularly."
    assert result["total"] == 30


@pytest.mark.django_db
def test_round_averages_show_once_closed_and_from_the_workspaces_minimum(tenant_a, client_for):
    """With two answers each respondent works out the other's ratings (twice the average less their own), and
    averages that move as one more person answers show that person's: so nothing while the round is open, and
    once it closes only from at least three answers (or the workspace's higher setting)."""
    from django.urls import reverse

    from assessments.models import AssessmentSettings

    people = [tenant_a.users[role] for role in (Role.MEMBER, Role.ACCOUNT_MANAGER, Role.ADMIN)]
    with tenant_a.ctx():
        round = fourrs_services.fourrs_round_create(data={"title": "Autumn"}, acting_user=None)
        fourrs_services.fourrs_round_invite(round=round, user_ids=[p.pk for p in people], acting_user=None)
        for n, person in enumerate(people):
            fourrs_services.fourrs_result_submit(
                respondent=person, answers=dict.fromkeys(fourrs.KEYS, n + 2), round=round
            )
    admin = client_for(tenant_a.admin)
    page = reverse("fourrs_round", args=["alpha", round.pk])
    text = admin.get(page).content.decode()
    assert 'data-testid="averages-hidden"' in text and "once the round has closed" in text
    assert "of 75 on average" not in text
    with tenant_a.ctx():
        fourrs_services.fourrs_round_close(round=round)
    text = admin.get(page).content.decode()
    assert "45.0 <span" in text and "of 75 on average" in text  # 2, 3 and 4 on each statement: 45 on average
    with tenant_a.ctx():
        AssessmentSettings.objects.update(fourrs_min_answers=4)
    text = admin.get(page).content.decode()
    assert 'data-testid="averages-hidden"' in text and "from 4 answers" in text
    assert "of 75 on average" not in text
