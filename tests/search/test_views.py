"""The search page and its as-you-type fragment: partial words, ranking, marks, tenants, deleted accounts, bad
input and a constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sam.roles import Role
from tests.accounts.conftest import make_account
from tests.search.conftest import action, contact, document, entry, qbr, soft_delete

pytestmark = pytest.mark.django_db


def search_url(slug: str = "alpha") -> str:
    return reverse("search", args=[slug])


def page(client, q: str, slug: str = "alpha", **headers) -> str:
    response = client.get(search_url(slug), {"q": q}, **headers)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, key: str) -> str:
    """The results of one kind on the page ('' when the kind found nothing)."""
    match = re.search(rf'<section[^>]*id="results-{key}".*?</section>', html, re.S)
    return match.group() if match else ""


def test_finds_every_kind_by_the_beginning_of_its_words(tenant_a, client_for):
    globex = make_account(tenant_a, "Globex Logistics")
    with tenant_a.ctx():
        renata = contact(globex, "Renata Okafor", title="Head of procurement")
        proposal = action(globex, "Prepare the renewal proposal")
        call = entry(globex, "Call about the quarterly invoicing dispute", kind="call")
        review = qbr(globex, "2026-Q3", location="Rotterdam office")
        minutes = document(review, "QBR minutes: Globex Logistics, 2026-Q3")
    client = client_for(tenant_a.users[Role.VIEWER])

    html = page(client, "glob")
    assert f"/t/alpha/accounts/{globex.pk}/" in section(html, "accounts")
    assert "<mark>Glob</mark>ex Logistics" in html
    assert f'href="/t/alpha/accounts/{globex.pk}/?tab=contacts"' in page(client, "okaf")
    assert "<mark>Okaf</mark>or" in section(page(client, "okaf"), "contacts")
    assert "<mark>renewal</mark> proposal" in section(page(client, "renew"), "actions")
    assert f"/t/alpha/accounts/{globex.pk}/?tab=actions" in section(page(client, "propos"), "actions")
    timeline = section(page(client, "invoic disp"), "timeline")
    assert (
        "<mark>invoicing</mark> <mark>dispute</mark>" in timeline and "?tab=timeline" in timeline and "Call" in timeline
    )
    qbrs = section(page(client, "qbr rotter"), "qbrs")
    assert reverse("qbr_detail", args=["alpha", review.pk]) in qbrs and "<mark>Rotterdam</mark> office" in qbrs
    documents = section(page(client, "minut 2026"), "documents")
    assert reverse("document_download", args=["alpha", minutes.pk]) in documents
    assert "QBR minutes" in documents  # the kind's label
    assert renata.pk and proposal.pk and call.pk


def test_a_name_with_a_typo_is_still_found(tenant_a, client_for):
    make_account(tenant_a, "Initech Manufacturing")
    html = page(client_for(tenant_a.admin), "initeck")
    assert "Initech Manufacturing" in section(html, "accounts")


def test_the_better_match_comes_first(tenant_a, client_for):
    long_name = make_account(tenant_a, "Acme Holdings International")
    short = make_account(tenant_a, "Acme")
    elsewhere = make_account(tenant_a, "Pacmen")  # "acme" inside a word: found, but last
    with tenant_a.ctx():
        in_detail = action(short, "Call the customer", detail="About the budget for next year")
        in_title = action(short, "Budget review with finance")
        once = entry(short, "Escalation raised by the customer")
        often = entry(short, "Escalation after escalation: the escalation path is unclear")
    client = client_for(tenant_a.admin)

    accounts = section(page(client, "acme"), "accounts")
    positions = [accounts.index(f"/accounts/{a.pk}/") for a in (short, long_name, elsewhere)]
    assert positions == sorted(positions)
    actions = section(page(client, "budg"), "actions")
    assert actions.index("review with finance") < actions.index("Call the customer")
    assert "<mark>budget</mark> for next year" in actions  # the detail's excerpt shows why it matched
    timeline = section(page(client, "escal"), "timeline")
    assert timeline.index("path is unclear") < timeline.index("raised by the customer")
    assert in_detail.pk and in_title.pk and once.pk and often.pk


def test_matches_are_marked_and_everything_else_escaped(tenant_a, client_for):
    account = make_account(tenant_a, "Umbrella <b>Health</b>")
    with tenant_a.ctx():
        entry(account, '<script>alert("owned")</script> renewal risk & <img src=x onerror=alert(1)>')
        action(account, "Renewal <i>plan</i>", detail="<mark>fake</mark> renewal")
    client = client_for(tenant_a.admin)
    for html in (page(client, "renewal"), page(client, "renewal", HTTP_HX_REQUEST="true")):
        assert "<script>alert" not in html and "<img src=x" not in html and "<i>plan" not in html
        assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; <mark>renewal</mark> risk &amp; &lt;img" in html
    html = page(client, "renewal")
    assert "<mark>Renewal</mark> &lt;i&gt;plan&lt;/i&gt;" in html
    assert "&lt;mark&gt;fake&lt;/mark&gt; <mark>renewal</mark>" in html
    assert "<mark>Umbrella</mark> &lt;b&gt;Health&lt;/b&gt;" in page(client, "umbrella")
    assert "<script" not in page(client, "<script>").split("<main", 1)[1]


def test_never_finds_another_workspace(tenant_a, tenant_b, client_for):
    ours = make_account(tenant_a, "Stark Renewables")
    theirs = make_account(tenant_b, "Stark Renewables")
    made = {}
    for world, account in ((tenant_a, ours), (tenant_b, theirs)):
        with world.ctx():
            review = qbr(account, location="Stark tower")
            made[world.tenant.slug] = [
                contact(account, "Tony Stark"),
                action(account, "Stark renewal plan"),
                entry(account, "Stark called about the renewal"),
                review,
                document(review, "QBR minutes: Stark Renewables, 2026-Q3"),
            ]
    html = page(client_for(tenant_a.admin), "stark renew")
    assert f"/accounts/{ours.pk}/" in html
    assert f"/accounts/{theirs.pk}/" not in html and "/t/bravo/" not in html
    b_ids = {obj.pk for obj in made["bravo"]} - {obj.pk for obj in made["alpha"]}
    for pk in b_ids:
        assert f"/qbrs/{pk}/" not in html and f"/documents/{pk}/" not in html
    html = page(client_for(tenant_b.admin), "stark", slug="bravo")
    assert f"/accounts/{theirs.pk}/" in html and "/t/alpha/" not in html and "ALPHA-SECRET" not in html


def test_another_workspace_s_search_page_is_not_found(tenant_a, tenant_b, client_for):
    response = client_for(tenant_b.admin).get(search_url("alpha"), {"q": "stark"})
    assert response.status_code == 404


def test_never_finds_anything_of_a_deleted_account(tenant_a, client_for):
    gone = make_account(tenant_a, "Wayne Enterprises")
    kept = make_account(tenant_a, "Wayne Foundation")
    for account in (gone, kept):
        with tenant_a.ctx():
            review = qbr(account)
            contact(account, f"Bruce of {account.name}")
            action(account, f"Wayne follow-up for {account.name}")
            entry(account, f"Wayne meeting at {account.name}")
            document(review, f"QBR minutes: {account.name}, 2026-Q3")
    with tenant_a.ctx():
        soft_delete(gone)
    html = page(client_for(tenant_a.admin), "wayne")
    assert "Foundation" in html and "Enterprises" not in html
    assert f"/accounts/{gone.pk}/" not in html
    assert "Enterprises" not in page(client_for(tenant_a.admin), "bruce")


def test_only_the_latest_ready_version_of_a_document(tenant_a, client_for):
    account = make_account(tenant_a, "Cyberdyne")
    with tenant_a.ctx():
        review = qbr(account)
        old = document(review, "QBR minutes: Cyberdyne, 2026-Q3", version=1)
        new = document(review, "QBR minutes: Cyberdyne, 2026-Q3", version=2)
        queued = document(review, "QBR minutes: Cyberdyne, 2026-Q3", version=3, status="queued")
    documents = section(page(client_for(tenant_a.admin), "cyberd minutes"), "documents")
    assert f"/documents/{new.pk}/" in documents
    assert f"/documents/{old.pk}/" not in documents and f"/documents/{queued.pk}/" not in documents


BAD_QUERIES = [
    "",
    " ",
    "a",
    "'",
    '"',
    "''''",
    '"quoted phrase"',
    "&|!():*<>",
    "a & b | !c",
    "foo:* & bar",
    "(renewal",
    "renewal)",
    "!renewal",
    "<->",
    "renewal <-> risk",
    "\\",
    "%_%",
    "..,,;;--",
    "x" * 10_000,
    "renewal " * 2_000,
    "ünïcödé ñame 東京 مرحبا",
    "①② ½ ⅷ",
    "😀 🎉",
    "\u200b\u200d\ufeff",
    "\ud7ff\ue000\uffff",
    "select * from accounts_account; --",
    "{{ tenant }} {% csrf_token %}",
]


@pytest.mark.parametrize("hx", [False, True], ids=["page", "fragment"])
def test_any_query_answers_200(tenant_a, client_for, hx):
    account = make_account(tenant_a, "Renewal Partners")
    with tenant_a.ctx():
        entry(account, "renewal risk")
    client = client_for(tenant_a.admin)
    headers = {"HTTP_HX_REQUEST": "true"} if hx else {}
    for q in BAD_QUERIES:
        response = client.get(search_url(), {"q": q}, **headers)
        assert response.status_code == 200, repr(q[:40])
    assert client.get(search_url(), **headers).status_code == 200  # no q at all
    assert client.get(search_url() + "?q=a&q=b", **headers).status_code == 200


def test_a_nul_byte_is_a_separator_or_refused_never_an_error(tenant_a, client_for):
    make_account(tenant_a, "Soylent")
    client = client_for(tenant_a.admin)
    # Percent-encoded, the security middleware refuses it for every page (PostgreSQL cannot take NUL).
    assert client.get(search_url(), {"q": "soy\x00lent"}).status_code == 400
    # Raw in the query string it reaches the view, which treats it as any other separator.
    response = client.get(search_url() + "?q=soyl\x00")
    assert response.status_code == 200 and "<mark>Soyl</mark>ent" in response.content.decode()


def test_empty_states(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert "Type at least two letters" in page(client, "")
    assert "Type at least two letters" in page(client, "a !")
    html = page(client, "zzqxv")
    assert "Nothing matches “zzqxv”" in html
    # The fragment says nothing until there is something to look for.
    assert page(client, "a", HTTP_HX_REQUEST="true").strip() == ""
    assert "Nothing matches" in page(client, "zzqxv", HTTP_HX_REQUEST="true")


def test_the_page_and_the_fragment_cap_their_hits(tenant_a, client_for):
    account = make_account(tenant_a, "Tyrell")
    with tenant_a.ctx():
        for n in range(12):
            action(account, f"Tyrell follow-up {n}")
    client = client_for(tenant_a.admin)
    html = page(client, "tyrell follow")
    assert section(html, "actions").count("<li") == 10
    assert "the best 10 of each kind are shown" in html
    fragment = page(client, "tyrell follow", HTTP_HX_REQUEST="true")
    assert "<html" not in fragment and fragment.count("?tab=actions") == 5
    assert f'href="{search_url()}?q=tyrell%20follow"' in fragment  # the whole page, a real link
    response = client.get(search_url(), {"q": "tyrell"}, HTTP_HX_REQUEST="true")
    assert "HX-Request" in response["Vary"]


def test_the_query_used_is_capped(tenant_a, client_for):
    make_account(tenant_a, "Oscorp")
    html = page(client_for(tenant_a.admin), "x " * 150 + "oscorp")  # past the first 200 characters
    assert "Oscorp" not in html


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_search(tenant_a, client_for, role):
    account = make_account(tenant_a, "Massive Dynamic")
    with tenant_a.ctx():
        review = qbr(account)
        document(review, "QBR minutes: Massive Dynamic, 2026-Q3")
    html = page(client_for(tenant_a.users[role]), "massive")
    for key in ("accounts", "qbrs", "documents"):
        assert section(html, key), key


def test_the_number_of_queries_does_not_grow_with_the_data(tenant_a, client_for, django_assert_max_num_queries):
    client = client_for(tenant_a.admin)

    def fill(n: int) -> None:
        for i in range(n):
            account = make_account(tenant_a, f"Hooli {i} {n}")
            with tenant_a.ctx():
                contact(account, f"Gavin Hooli {i}")
                action(account, f"Hooli action {i}", detail="hooli detail")
                entry(account, f"Hooli note {i}")
                review = qbr(account)
                document(review, f"QBR minutes: Hooli {i} {n}, 2026-Q3")

    def count() -> int:
        page(client, "hooli")  # warm (session, caches)
        with CaptureQueriesContext(connection) as queries:
            html = page(client, "hooli")
        assert all(section(html, k) for k in ("accounts", "contacts", "actions", "timeline", "qbrs", "documents"))
        return len(queries)

    fill(1)
    few = count()
    # The signed-in user, the tenant's transaction (begin, tenant and membership, commit), the workspace switcher;
    # one query per kind, the timeline two (its best ids, then their rows).
    assert few <= 13
    fill(15)
    with django_assert_max_num_queries(few):
        html = page(client, "hooli")
    assert section(html, "accounts").count("<li") == 10
    assert count() <= few


def test_the_header_box_on_every_tenant_page(tenant_a, client_for):
    html = client_for(tenant_a.users[Role.VIEWER]).get(reverse("dashboard", args=["alpha"])).content.decode()
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    assert f'action="{search_url()}"' in header and 'role="search"' in header
    assert '<label class="visually-hidden" for="site-search-q">Search the workspace</label>' in header
    assert f'hx-get="{search_url()}"' in header and 'aria-keyshortcuts="/"' in header
    assert "/static/js/search.js" in html
    assert html.count("<header") == 1
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None  # no inline script (CSP)


def test_a_document_with_its_own_viewer_rule_is_found_by_its_viewer_only(tenant_a, client_for):
    """A 4 R's result is its respondent's: the others do not find its PDF."""
    from django.utils import timezone

    from assessments import fourrs
    from assessments.models import FourRsResult
    from sam.models import Document

    answers = dict.fromkeys(fourrs.KEYS, 4)
    documents = {}
    with tenant_a.ctx():
        for role in (Role.ADMIN, Role.MEMBER):
            user = tenant_a.users[role]
            result = FourRsResult.objects.create(respondent=user, answers=answers, **fourrs.score(answers))
            documents[role] = Document.objects.create(
                kind="fourrs_result", subject_type="assessments.fourrsresult", subject_id=result.pk, version=1,
                title=f"4 R's self-assessment of {role.label}", status="ready", file="documents/r.pdf",
                finished_at=timezone.now(),
            )  # fmt: skip
    html = section(page(client_for(tenant_a.users[Role.MEMBER]), "self assess"), "documents")
    assert f"/documents/{documents[Role.MEMBER].pk}/" in html
    assert f"/documents/{documents[Role.ADMIN].pk}/" not in html
