"""The account's timeline: logging, ordering and filters, cursor pages, product events once each, relationship
coverage against a hand-made history, bad input, the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts import events, services
from accounts.models import AccountsSettings, ActionItem, Contact, TimelineContact, TimelineEntry
from accounts.timeline_selectors import (
    TimelineFilters,
    quiet_roles,
    relationship_coverage,
    role_coverage,
    timeline_page,
)
from accounts.timeline_services import timeline_entry_log
from sam.roles import Role
from tests.accounts.conftest import make_account
from tests.accounts.test_api import api, patch, post

pytestmark = pytest.mark.django_db


def people(world, account):
    with world.ctx():
        make = lambda name, role: services.contact_save(  # noqa: E731
            account=account, data={"name": name, "email": f"{name.split()[0].lower()}@c.test", "buyer_role": role}
        )
        return make("Ann Econ", "economic"), make("Ben Tech", "technical"), make("Cleo User", "usage")


def log(world, account, kind, days_ago, contacts=(), *, summary=None, user_role=Role.ACCOUNT_MANAGER, **kw):
    with world.ctx():
        return timeline_entry_log(
            account=account,
            kind=kind,
            summary=summary or f"{kind} {days_ago} days ago",
            occurred_at=timezone.now() - timedelta(days=days_ago),
            contact_ids=[c.pk for c in contacts],
            acting_user=world.users[user_role],
            **kw,
        )


def url(world, name, *args):
    return reverse(name, args=[world.tenant.slug, *args])


def test_entries_come_newest_first_with_pinned_on_top_and_filters(tenant_a, account_a):
    ann, ben, _ = people(tenant_a, account_a)
    old_note = log(tenant_a, account_a, "note", 40, pinned=True)
    call = log(tenant_a, account_a, "call", 3, [ann, ben])
    meeting = log(tenant_a, account_a, "meeting", 10, [ann], user_role=Role.ADMIN)
    email = log(tenant_a, account_a, "email", 1, [ben])
    later, sooner = log(tenant_a, account_a, "meeting", -20, [ann]), log(tenant_a, account_a, "meeting", -2, [ann])
    with tenant_a.ctx():
        page = timeline_page(account_a, filters=TimelineFilters())
        assert [e.pk for e in page.pinned] == [old_note.pk]
        assert [e.pk for e in page.upcoming] == [sooner.pk, later.pk]  # what is still to come, soonest first
        assert [e.pk for e in page.entries] == [email.pk, call.pk, meeting.pk]
        by_kind = timeline_page(account_a, filters=TimelineFilters(kind="call"))
        assert [e.pk for e in by_kind.entries] == [call.pk] and not by_kind.pinned
        by_contact = timeline_page(account_a, filters=TimelineFilters(contact=ann.pk))
        assert [e.pk for e in by_contact.entries] == [call.pk, meeting.pk] and len(by_contact.upcoming) == 2
        by_person = timeline_page(account_a, filters=TimelineFilters(person=tenant_a.admin.pk))
        assert [e.pk for e in by_person.entries] == [meeting.pk]
        odd = TimelineFilters.parse({"kind": "bogus", "person": "1e3", "contact": "\x00"})
        assert (odd.kind, odd.person, odd.contact) == ("", None, None)


def test_pages_by_cursor_in_a_constant_number_of_queries(tenant_a, account_a, django_assert_max_num_queries):
    ann, ben, _ = people(tenant_a, account_a)
    now = timezone.now()
    with tenant_a.ctx():
        entries = TimelineEntry.objects.bulk_create(
            TimelineEntry(account=account_a, kind="call", summary=f"call {i}", occurred_at=now - timedelta(hours=i))
            for i in range(60)
        )
        TimelineContact.objects.bulk_create(TimelineContact(entry=e, contact=c) for e in entries for c in (ann, ben))
        seen = []
        cursor = ""
        for _ in range(3):
            with django_assert_max_num_queries(5):
                page = timeline_page(account_a, filters=TimelineFilters(), cursor=cursor)
                names = [link.contact.name for e in page.entries for link in e.contact_links]
            assert len(names) == 2 * len(page.entries)
            seen += [e.summary for e in page.entries]
            cursor = page.next_cursor
            if not cursor:
                break
        assert seen == [f"call {i}" for i in range(60)] and cursor == ""
        assert timeline_page(account_a, filters=TimelineFilters(), cursor="garbage_x").entries[0].summary == "call 0"


def test_the_tab_opens_in_a_constant_number_of_queries(tenant_a, account_a, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ann, ben, _ = people(tenant_a, account_a)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = url(tenant_a, "account_detail", account_a.pk) + "?tab=timeline"

    def count() -> int:
        """The queries of the timeline itself (the rest of the account page is the page's business)."""
        client.get(page)  # the first visit makes the period's scorecard; the second fills the caches
        client.get(page)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200
        mine = [
            q["sql"] for q in queries.captured_queries if '"accounts_timeline' in q["sql"] or "'timeline'" in q["sql"]
        ]
        assert mine
        return len(mine)

    log(tenant_a, account_a, "call", 1, [ann], actions=[{"title": "follow 0"}])
    few = count()
    for i in range(40):
        log(tenant_a, account_a, "call", i + 2, [ann, ben], actions=[{"title": f"follow {i}"}] if i % 3 == 0 else [])
    assert count() == few
    body = client.get(page).content.decode()
    assert "Show older entries" in body and "Follow-up: " in body


def test_logging_a_call_with_two_contacts_and_a_follow_up_through_the_page(tenant_a, account_a, client_for):
    ann, ben, _ = people(tenant_a, account_a)
    am = tenant_a.users[Role.ACCOUNT_MANAGER]
    client = client_for(am)
    response = client.post(
        url(tenant_a, "timeline_log", account_a.pk),
        {
            "kind": "call",
            "occurred_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "by": am.pk,
            "contacts": [ann.pk, ben.pk],
            "summary": "Pricing call: they want a three-year option.",
            "action_title": "Send the three-year option",
            "action_owner": am.pk,
            "action_due": (timezone.localdate() + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 302
    with tenant_a.ctx():
        entry = TimelineEntry.objects.get(kind="call")
        assert entry.touch and entry.by == am
        assert set(TimelineContact.objects.filter(entry=entry).values_list("contact_id", flat=True)) == {ann.pk, ben.pk}
        action = ActionItem.objects.get(source_kind="timeline")
        assert action.source_id == str(entry.pk) and action.owner == am and action.title == "Send the three-year option"
    body = client.get(url(tenant_a, "account_detail", account_a.pk) + "?tab=timeline").content.decode()
    assert "Pricing call" in body and "Ann Econ, Ben Tech" in body and "Send the three-year option" in body


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "call", "occurred_at": "2099-01-01T10:00"}, "occurred_at"),  # a call in the future
        ({"kind": "meeting", "occurred_at": "2099-01-01T10:00"}, "occurred_at"),  # a meeting far too far ahead
        ({"kind": "call", "occurred_at": "0001-01-01T10:00"}, "occurred_at"),
        ({"kind": "call", "occurred_at": "2026-02-30T10:00"}, "occurred_at"),  # no such day
        ({"kind": "call", "summary": "x\x00y"}, "summary"),
        ({"kind": "call", "summary": "x" * 10001}, "summary"),
        ({"kind": "event"}, "kind"),
        ({"kind": "call", "contacts": ["999999"]}, "contacts"),
        ({"kind": "call", "action_title": "t", "action_owner": "999999"}, "action_owner"),
    ],
)
def test_bad_entries_are_refused_and_change_nothing(tenant_a, account_a, client_for, data, field):
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    response = client.post(url(tenant_a, "timeline_log", account_a.pk), {"summary": "ok", **data})
    assert response.status_code == 400, response.status_code
    assert f'id="id_{field}_error"' in response.content.decode() or "alert" in response.content.decode()
    with tenant_a.ctx():
        assert not TimelineEntry.objects.exists() and not ActionItem.objects.exists()


def test_a_future_meeting_is_fine_and_another_accounts_contact_is_not(tenant_a, account_a):
    ann, _, _ = people(tenant_a, account_a)
    other = make_account(tenant_a, name="Other Co")
    (stranger, _, _) = people(tenant_a, other)
    meeting = log(tenant_a, account_a, "meeting", -7, [ann])
    assert meeting.occurred_at > timezone.now()
    with pytest.raises(ValidationError):
        log(tenant_a, account_a, "call", 1, [stranger])
    with pytest.raises(ValidationError):
        log(tenant_a, account_a, "call", -1)
    with pytest.raises(PermissionDenied):  # a viewer never logs
        log(tenant_a, account_a, "note", 1, user_role=Role.VIEWER)


def test_product_events_appear_once_each(tenant_a, account_a):
    ann, _, _ = people(tenant_a, account_a)
    with tenant_a.ctx():
        for _ in range(3):
            events.timeline_event(
                account=account_a, event=events.CONTRACT_LOST, summary="lost", key="k-1", contacts=[ann], touch=True
            )
        entry = TimelineEntry.objects.get(kind="event")
        assert entry.dedupe_key == "k-1" and entry.touch and TimelineContact.objects.filter(entry=entry).count() == 1
        events.timeline_event_contact_set(key="k-1", contact_id=ann.pk, present=False)
        entry.refresh_from_db()
        assert not entry.touch  # nobody took part any more


def test_coverage_against_a_hand_made_history(tenant_a, account_a):
    ann, ben, cleo = people(tenant_a, account_a)
    owner = tenant_a.users[Role.EXECUTIVE]
    with tenant_a.ctx():
        Contact.objects.filter(pk=ann.pk).update(relationship_owner=owner)
        Contact.objects.filter(pk=cleo.pk).update(last_interaction=timezone.localdate() - timedelta(days=20))
    log(tenant_a, account_a, "meeting", 10, [ann])
    log(tenant_a, account_a, "meeting", 100, [ann])
    log(tenant_a, account_a, "meeting", 200, [ann])  # more than two quarters ago: not counted as met
    log(tenant_a, account_a, "call", 5, [ann])  # the last touch, not a meeting
    log(tenant_a, account_a, "note", 1, [ann])  # a note is the team's own: no touch
    log(tenant_a, account_a, "meeting", -3, [ben])  # still to come: no touch yet
    log(tenant_a, account_a, "email", 90, [ben])
    with tenant_a.ctx():
        rows = {r.contact.name: r for r in relationship_coverage(account_a)}
        assert (rows["Ann Econ"].days_since, rows["Ann Econ"].met) == (5, 2)
        assert rows["Ann Econ"].contact.relationship_owner == owner
        assert (rows["Ben Tech"].days_since, rows["Ben Tech"].met) == (90, 0)
        assert (rows["Cleo User"].days_since, rows["Cleo User"].met) == (20, 0)  # the date typed on the contact
        roles = {r["role"]: r for r in role_coverage(list(rows.values()))}
        assert not roles["economic"]["quiet"] and roles["technical"]["quiet"] and not roles["usage"]["quiet"]
        quiet = quiet_roles()
        assert [(q.role, (timezone.now() - q.last_touch).days) for q in quiet[account_a.pk]] == [("technical", 90)]
        AccountsSettings.objects.update_or_create(defaults={"quiet_role_days": 120})
        assert quiet_roles() == {}


def test_the_dashboard_gives_a_quiet_economic_buyer_as_a_reason(tenant_a, account_a, client_for):
    ann, _, _ = people(tenant_a, account_a)
    log(tenant_a, account_a, "call", 75, [ann])
    from dashboard.selectors import account_risk_reasons

    with tenant_a.ctx():
        reasons = account_risk_reasons(account_a, tenant=tenant_a.tenant)
    assert "No touch with the economic buyer for 75 days (Ann Econ)" in reasons


def test_the_api_logs_and_lists_entries(tenant_a, tenant_b, account_a):
    ann, ben, _ = people(tenant_a, account_a)
    client = api(tenant_a, Role.ACCOUNT_MANAGER)
    created = post(
        client,
        "/api/v1/timeline-entries/",
        {
            "account": account_a.pk,
            "kind": "email",
            "summary": "Sent the renewal terms",
            "contacts": [ann.pk, ben.pk],
            "follow_ups": [{"title": "Chase the renewal terms"}],
        },
    )
    assert created.status_code == 201, created.content
    assert sorted(created.json()["contacts"]) == sorted([ann.pk, ben.pk])
    listed = client.get(f"/api/v1/timeline-entries/?account={account_a.pk}&contact={ann.pk}").json()
    assert [e["summary"] for e in listed["results"]] == ["Sent the renewal terms"]
    with tenant_a.ctx():
        assert ActionItem.objects.get(source_kind="timeline").title == "Chase the renewal terms"
    future = post(client, "/api/v1/timeline-entries/", {"account": account_a.pk, "kind": "call", "summary": "x",
                                                        "occurred_at": "2099-01-01T10:00:00Z"})  # fmt: skip
    assert future.status_code == 400 and "occurred_at" in future.json()
    nul = post(client, "/api/v1/timeline-entries/", {"account": account_a.pk, "kind": "call", "summary": "a\x00b"})
    assert nul.status_code == 400
    nested = post(client, "/api/v1/timeline-entries/", {"account": account_a.pk, "kind": "call",
                                                        "summary": {"a": [[[[{}]]]]}})  # fmt: skip
    assert nested.status_code == 400
    nest = "[" * 100_000 + "]" * 100_000
    deep = f'{{"account": {account_a.pk}, "kind": "call", "summary": {nest}}}'
    too_deep = client.post("/api/v1/timeline-entries/", deep, content_type="application/json")
    assert too_deep.status_code == 400 and "nested too deeply" in too_deep.json()["detail"]
    assert client.get("/api/v1/timeline-entries/?after=2026-02-30").status_code == 400  # no such day
    assert client.get("/api/v1/timeline-entries/?before=2026-13-01").status_code == 400
    theirs = make_account(tenant_b, name="Bravo Co")
    other = post(client, "/api/v1/timeline-entries/", {"account": theirs.pk, "kind": "call", "summary": "x"})
    assert other.status_code == 400
    entry_id = created.json()["id"]
    assert patch(client, f"/api/v1/timeline-entries/{entry_id}/", {"pinned": True}).json()["pinned"] is True
    assert patch(client, f"/api/v1/timeline-entries/{entry_id}/", {"summary": "changed"}).status_code == 400
    assert api(tenant_b).get(f"/api/v1/timeline-entries/{entry_id}/").status_code == 404
    viewer = post(api(tenant_a, Role.VIEWER), "/api/v1/timeline-entries/",
                  {"account": account_a.pk, "kind": "note", "summary": "x"})  # fmt: skip
    assert viewer.status_code == 403


def test_pin_unpin_remove_and_the_next_page_through_the_pages(tenant_a, account_a, client_for):
    ann, _, _ = people(tenant_a, account_a)
    for i in range(30):
        log(tenant_a, account_a, "call", i + 1, [ann], summary=f"call number {i}")
    with tenant_a.ctx():
        first = TimelineEntry.objects.get(summary="call number 0")
        cursor = timeline_page(account_a, filters=TimelineFilters()).next_cursor
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    more = am.get(url(tenant_a, "timeline_more", account_a.pk) + f"?cursor={cursor}", HTTP_HX_REQUEST="true")
    body = more.content.decode()
    assert more.status_code == 200 and "call number 25" in body and "call number 24" not in body and "Pin" in body
    assert am.post(url(tenant_a, "timeline_pin", account_a.pk, first.pk)).status_code == 302
    with tenant_a.ctx():
        assert TimelineEntry.objects.get(pk=first.pk).pinned
    assert am.post(url(tenant_a, "timeline_unpin", account_a.pk, first.pk)).status_code == 302
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert viewer.post(url(tenant_a, "timeline_pin", account_a.pk, first.pk)).status_code == 403
    assert viewer.post(url(tenant_a, "timeline_delete", account_a.pk, first.pk)).status_code == 403
    member = client_for(tenant_a.users[Role.MEMBER])  # not on the team, did not log it
    assert member.post(url(tenant_a, "timeline_delete", account_a.pk, first.pk)).status_code == 403
    assert am.post(url(tenant_a, "timeline_delete", account_a.pk, first.pk)).status_code == 302
    with tenant_a.ctx():
        assert not TimelineEntry.objects.filter(pk=first.pk).exists()
        event = events.timeline_event(account=account_a, event=events.CONTRACT_LOST, summary="lost", key="k")
    assert am.post(url(tenant_a, "timeline_delete", account_a.pk, event.pk)).status_code == 403  # the product's own


def test_full_text_search_can_use_its_index_under_row_level_security(tenant_a, account_a):
    """The app role's queries go through the tenant policy; the GIN index serves ``@@`` only because the set-up
    marks its function LEAKPROOF (sam/localstack.py, scripts/docker-db-init.sh; the suite's databases are made
    from template1, which the set-up marks too)."""
    from django.contrib.postgres.search import SearchQuery
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT proleakproof FROM pg_proc WHERE oid = 'ts_match_vq(tsvector, tsquery)'::regprocedure")
        assert cursor.fetchone() == (True,)
    log(tenant_a, account_a, "note", 1, summary="renewal pricing")
    with tenant_a.ctx():
        query = TimelineEntry.objects.filter(search=SearchQuery("'renew':*", search_type="raw", config="simple"))
        assert [e.summary for e in query] == ["renewal pricing"]


def test_each_product_event_is_recorded_once_and_the_backfill_adds_nothing_twice(tenant_a, account_a):
    from accounts import renewals
    from accounts.events import timeline_backfill
    from accounts.models import IncidentCategory, Outcome, RecurringIssue
    from qbr import services as qbr_services
    from qbr.models import AgendaItem, Qbr

    ann, ben, _ = people(tenant_a, account_a)
    with tenant_a.ctx():
        # a recurring issue opens (three incidents of a category), then closes with its root cause
        category = IncidentCategory.objects.first()
        for _ in range(4):
            services.incident_record(account=account_a, data={"category": category, "summary": "Outage"})
        issue = RecurringIssue.objects.get(account=account_a)
        services.recurring_issue_update(issue=issue, data={"status": "closed", "root_cause": "A bad switch"},
                                        acting_user=tenant_a.admin)  # fmt: skip
        # a contract past its end: renewed, then corrected (still renewed)
        today = timezone.localdate()
        span = {"title": "MSA", "start": today - timedelta(days=800), "end": today - timedelta(days=5)}
        deal = services.contract_save(account=account_a, data=span)
        for _ in range(2):
            renewals.contract_outcome_record(contract=deal, outcome=Outcome.RENEWED, acting_user=tenant_a.admin)
        # the QBR of this period held, Ann attended, Ben did not
        qbr_services.qbrs_schedule()
        qbr = Qbr.objects.filter(account=account_a).order_by("period_start").first()
        qbr_services.agenda_create_from_template(qbr=qbr, template=qbr_services.agenda_template_default_ensure())
        for contact in (ann, ben):
            qbr_services.participant_add(qbr=qbr, contact_id=contact.pk)
        qbr_services.minutes_save(qbr=qbr, item=AgendaItem.objects.filter(qbr=qbr).first(), notes="Budgets",
                                  decisions="")  # fmt: skip
        qbr_services.qbr_held(qbr=qbr)
        for participant in qbr.participants.all():
            qbr_services.participant_attended_set(participant=participant, attended=participant.contact_id == ann.pk)
        counts = dict(
            TimelineEntry.objects.filter(kind="event")
            .values_list("event")
            .annotate(n=Count("pk"))
            .values_list("event", "n")
        )
        assert counts == {"recurring_issue.opened": 1, "recurring_issue.closed": 1, "contract.renewed": 1,
                          "qbr.held": 1}, counts  # fmt: skip
        held = TimelineEntry.objects.get(event="qbr.held")
        assert held.touch and list(TimelineContact.objects.filter(entry=held).values_list("contact_id", flat=True)) == [
            ann.pk
        ]
        assert timeline_backfill() == 0  # every event is there already
        TimelineEntry.objects.filter(kind="event").delete()
        assert timeline_backfill() == 4  # the history from the rows themselves, once
        assert timeline_backfill() == 0
        held = TimelineEntry.objects.get(event="qbr.held")
        assert list(TimelineContact.objects.filter(entry=held).values_list("contact_id", flat=True)) == [ann.pk]


def test_a_search_hit_opens_the_timeline_at_its_entry(tenant_a, account_a):
    for i in range(60):
        log(tenant_a, account_a, "call", i + 1, summary=f"call number {i}")
    with tenant_a.ctx():
        entry = TimelineEntry.objects.get(summary="call number 41")
        cursor = f"{entry.occurred_at.timestamp():.6f}_{entry.pk + 1}"  # what the search links to
        page = timeline_page(account_a, filters=TimelineFilters(), cursor=cursor)
        assert page.entries[0].pk == entry.pk
