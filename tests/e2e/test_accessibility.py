"""Every page of the demo (every tab and section too), as each role and signed out, checked by axe-core in a real
Chromium: no serious or critical violation (WCAG 2.2 A and AA, the landmark rules, and "label-content-name-mismatch").

The pages are every tenant route of the URL map (tests/sweep.py walks it), with the demo's first object for each
id, that answers a whole HTML page to the role; fragments, files and redirects are not pages. axe-core is
vendored by ``make vendor`` into tests/e2e/vendor/ and injected into each page.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sam.demo import DEMO_PASSWORD
from sam.models import Tenant, User
from sam.roles import Role
from sam.tenancy.context import tenant_context
from tests.sweep import PLAIN_KWARGS, all_routes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
ROLES = {
    "admin": "admin@northwind.example",
    "executive": "exec@northwind.example",
    "account_manager": "am@northwind.example",
    "member": "member@northwind.example",
    "viewer": "viewer@northwind.example",
}
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
    "iframes": False,
}
FAILING_IMPACTS = {"serious", "critical"}
# Not pages: a route that only answers POST (405 to a GET), a fragment for htmx, a file or a redirect.
PAGE = re.compile(rb"<html[\s>]", re.IGNORECASE)


def _first(model: type[Any]) -> Any:
    return model.objects.order_by("pk").first()


def tenant_pages(tenant: Tenant) -> list[str]:
    """The path of every tenant page route, with the demo's first object of each id's model."""
    paths = []
    with tenant_context(tenant):
        for route in all_routes():
            if route.is_api or not route.is_tenant or route.is_public:
                continue
            kwargs: dict[str, Any] = {"tenant_slug": tenant.slug}
            for name in route.kwargs:
                if name in PLAIN_KWARGS:
                    kwargs[name] = PLAIN_KWARGS[name]
                elif name != "tenant_slug":
                    model = route.model_for(name)
                    row = _first(model) if model is not None else None
                    if row is None:
                        break
                    kwargs[name] = row.pk
            else:
                paths.append(reverse(route.name, kwargs=kwargs))
    return sorted(set(paths))


def axe_context(browser: Any, **options: Any) -> Any:
    """A browser context whose every page has axe-core loaded (the pages' CSP would refuse it injected later)."""
    context = browser.new_context(bypass_csp=True, **options)
    context.add_init_script(path=str(AXE))
    return context


def axe_violations(page: Any, url: str, *, lands_on: str | None = None) -> list[str]:
    response = page.goto(url)
    # The page itself, not an error page or the login form after a lost session.
    landed = page.url.split("?")[0]
    assert response is not None and response.ok and landed == (lands_on or url.split("?")[0]), (url, page.url)
    return axe_problems(page, url)


def whole_pages(client: Client, paths: list[str]) -> dict[str, str]:
    """The paths that answer a whole HTML page (not a fragment for htmx, a file, a redirect or a refusal), with
    the page."""
    pages = {}
    for path in paths:
        response = client.get(path)
        html = response.status_code == 200 and "text/html" in response.get("Content-Type", "")
        if html and PAGE.search(response.content[:2000]):
            pages[path] = response.content.decode(errors="replace")
    return pages


CSRF = re.compile(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*')
AVATAR = re.compile(r'(<span class="avatar[^"]*"[^>]*>)[^<]*')


def page_digest(html: str, user: User, role: str) -> str:
    """The page as any role would have it: the CSRF tokens and who is signed in (name, initials, email, role)
    taken out. Two roles with the same digest have the same page, so axe says the same of both."""
    text = AVATAR.sub(r"\1", CSRF.sub(r"\1", html))
    for mine in (user.email, user.full_name, Role(role).label):
        text = text.replace(mine, "[me]")
    return hashlib.sha256(text.encode()).hexdigest()


def checked_dir() -> Path:
    """The digests of the pages this run checked clean, shared by its worker processes."""
    from tests.demo_db import run_id, shared_prefix

    folder = Path(tempfile.gettempdir()) / f"{shared_prefix()}{run_id()}-axe"
    folder.mkdir(exist_ok=True)
    return folder


def assert_no_violation(browser: Any, base: str, role: str, pages: dict[str, str]) -> None:
    """Sign in as the role in a fresh browser context, then check each page with axe; a page another role of this
    run already checked clean, the same to the byte but for who is signed in, is not checked again."""
    user = User.objects.get(email=ROLES[role])
    done = checked_dir()
    todo = []
    for path, html in pages.items():
        digest = page_digest(html, user, role)
        if not (done / digest).exists():
            todo.append((path, digest))
    context = axe_context(browser, viewport={"width": 1280, "height": 860})
    problems = []
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, base, ROLES[role])
        for path, digest in todo:
            found = axe_violations(page, base + path)
            problems += found
            if not found:
                (done / digest).touch()
    finally:
        context.close()
    assert not problems, f"{len(problems)} serious or critical axe violations as {role}:\n" + "\n".join(problems)


def axe_problems(page: Any, url: str) -> list[str]:
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    found = []
    for violation in result["violations"]:
        if violation["impact"] in FAILING_IMPACTS:
            targets = ", ".join(str(node["target"][0]) for node in violation["nodes"][:3])
            found.append(f"{violation['impact']} {violation['id']} on {url}: {targets} ({len(violation['nodes'])})")
    return found


def signed_in_client(role: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=ROLES[role]))
    return client


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/auth/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/"))


@pytest.mark.parametrize("half", [0, 1])  # two tests a role, so that the workers share the crawl evenly
@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_each_role_has_no_serious_violation(demo, live_server, browser, role, half):
    tenant = next(t for t in demo if t.slug == "northwind")
    pages = whole_pages(signed_in_client(role), tenant_pages(tenant)[half::2])
    assert len(pages) > 5, pages  # the crawl reaches the pages of every app
    assert_no_violation(browser, live_server.url, role, pages)


def page_variants(tenant: Tenant) -> list[str]:
    """The pages one route shows in several forms: each account tab, assessment tab, dashboard section and import
    kind other than the one the crawl above opens."""
    from accounts.import_kinds import import_kinds
    from accounts.models import Account
    from accounts.tabs import extra_tabs
    from accounts.views import TABS as ACCOUNT_TABS
    from assessments.models import Assessment
    from assessments.views import TABS as ASSESSMENT_TABS
    from dashboard.views import SECTIONS

    with tenant_context(tenant):
        account = _first(Account)
        assessment = _first(Assessment)
        paths = [
            reverse("account_detail", args=[tenant.slug, account.pk]) + f"?tab={key}"
            for key in [key for key, _ in ACCOUNT_TABS[1:]] + [tab.key for tab in extra_tabs()]
        ]
        paths += [
            reverse("assessment_detail", args=[tenant.slug, assessment.pk]) + f"?tab={key}"
            for key, _ in ASSESSMENT_TABS[1:]
        ]
    paths += [
        reverse("dashboard_section", args=[tenant.slug, key]) for key in SECTIONS if key != PLAIN_KWARGS["section"]
    ]
    paths += [
        reverse("import_upload", args=[tenant.slug, k.key]) for k in import_kinds() if k.key != PLAIN_KWARGS["kind"]
    ]
    return paths


@pytest.mark.parametrize("role", ROLES)
def test_every_tab_section_and_import_kind_has_no_serious_violation(demo, live_server, browser, role):
    tenant = next(t for t in demo if t.slug == "northwind")
    variants = page_variants(tenant)
    pages = whole_pages(signed_in_client(role), variants)
    assert len(pages) >= (len(variants) if role == "admin" else 5), set(variants) - set(pages)
    assert_no_violation(browser, live_server.url, role, pages)


def test_the_signed_out_pages_have_no_serious_violation(demo, live_server, browser):
    from tests.voc.test_tokens import invite

    tenant = next(t for t in demo if t.slug == "northwind")
    with tenant_context(tenant):
        from accounts.models import Account

        account = Account.objects.order_by("pk").first()

    class World:  # what tests.voc.test_tokens.invite needs of a test world
        def __init__(self) -> None:
            self.tenant = tenant

        def ctx(self) -> Any:
            return tenant_context(tenant)

    token, _, _ = invite(World(), account)
    from datetime import timedelta

    from django.utils import timezone

    from sam.models import Invitation, hash_token_secret

    with tenant_context(tenant):  # an invitation for a person without an account: the page with its form
        Invitation.objects.filter(email="a11y-invited@example.test").delete()
        Invitation.objects.create(
            email="a11y-invited@example.test",
            name="Invited Person",
            token_hash=hash_token_secret("a11y-invitation"),
            expires_at=timezone.now() + timedelta(days=1),
        )
    base = live_server.url
    urls = [
        (base + reverse("login"), None),
        (base + reverse("password_reset"), None),
        (base + reverse("password_reset_done"), None),
        (base + reverse("password_reset_confirm", args=["MQ", "not-a-token"]), None),  # the "link not valid" page
        (base + reverse("password_reset_complete"), None),
        (base + reverse("survey_start", args=[token]), base + reverse("survey_form")),  # the token leaves the address
        (base + reverse("survey_start", args=["not-a-token"]), None),  # the "link not valid" page
        (base + reverse("invitation_open", args=[tenant.pk, "a11y-invitation"]), None),
    ]
    context = axe_context(browser, viewport={"width": 390, "height": 844})  # a phone, as customers answer
    try:
        page = context.new_page()
        problems = [problem for url, lands_on in urls for problem in axe_violations(page, url, lands_on=lands_on)]
    finally:
        context.close()
    assert not problems, f"{len(problems)} serious or critical axe violations:\n" + "\n".join(problems)


def test_the_two_factor_pages_have_no_serious_violation(demo, live_server, browser):
    """The person's two-factor pages (outside any workspace, so not in the crawl above): setting up, the recovery
    codes, the settings once it is on (with a refused form), and the second step of signing in."""
    import time
    from base64 import b32decode

    from django_otp.oath import hotp

    base = live_server.url
    context = axe_context(browser, viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, base, ROLES["member"])
        problems = axe_violations(page, base + reverse("two_factor"))
        key = b32decode(page.get_by_test_id("totp-key").inner_text().replace(" ", ""))
        page.get_by_label("Code from the app").fill(f"{hotp(key, int(time.time() // 30)):06d}")
        page.get_by_role("button", name="Turn on").click()
        page.get_by_test_id("recovery-codes").wait_for()
        problems += axe_problems(page, "the recovery codes page")
        problems += axe_violations(page, base + reverse("two_factor"))
        page.locator("#off_password").fill("not my password")
        page.get_by_role("button", name="Turn off two-factor sign-in").click()
        page.locator("#off_password_error").wait_for()
        problems += axe_problems(page, "the two-factor settings with an error")
        context.clear_cookies()
        page.goto(base + reverse("login"))
        page.get_by_label("Email").fill(ROLES["member"])
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + reverse("login_code"))
        problems += axe_problems(page, "the second step of signing in")
    finally:
        context.close()
    assert not problems, f"{len(problems)} serious or critical axe violations:\n" + "\n".join(problems)


def test_the_checker_finds_what_it_must(browser):
    """axe-core is loaded and reports a serious violation: the crawl above cannot pass by checking nothing."""
    context = axe_context(browser)
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="en"><head><title>Check</title></head>'
            '<body><main><h1>Check</h1><p style="color:#bbb">Faint text</p></main></body></html>'
        )
        result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    finally:
        context.close()
    serious = [v["id"] for v in result["violations"] if v["impact"] in FAILING_IMPACTS]
    assert serious == ["color-contrast"]


def test_the_customer_portal_has_no_serious_violation(demo, live_server, browser):
    """Every page of the customer portal, at phone size, as the demo's contact with access (and before signing in)."""
    from portal import selectors as portal_selectors
    from portal import services as portal_services
    from portal.models import PortalAccess
    from sam.models import OutboundEmail

    tenant = next(t for t in demo if t.slug == "northwind")
    with tenant_context(tenant):
        access = PortalAccess.objects.select_related("contact").order_by("pk").first()
        contact = access.contact
        portal_services.portal_link_send(access=access)
        email = OutboundEmail.objects.filter(idempotency_key__startswith=portal_services.KEY_PREFIX).latest("pk")
        text, _ = portal_services.message_with_link(email, email.body_text, "")
        qbrs = portal_selectors.qbrs_of(contact)
        ids = {
            "qbr_id": [q.pk for q in qbrs["upcoming"][:1] + qbrs["past"][:1]],
            "assessment_id": [a.pk for a in portal_selectors.assessments_of(contact)[:1]],
        }
    link = re.search(r"(/p/in/\S+/)", text).group(1)
    pages = []
    for route in all_routes():
        if not route.is_portal or route.is_public:
            continue
        names = list(route.kwargs)
        if not names:
            pages.append(reverse(route.name))
        elif len(names) == 1 and names[0] in ids:
            pages += [reverse(route.name, kwargs={names[0]: pk}) for pk in ids[names[0]]]
    pages.append(reverse("portal_actions") + "?show=all")
    with tenant_context(tenant):
        portal_services.portal_link_send(access=access)
        other = OutboundEmail.objects.filter(idempotency_key__startswith=portal_services.KEY_PREFIX).latest("pk")
        second, _ = portal_services.message_with_link(other, other.body_text, "")
    key, _ = portal_services.portal_sign_in(token=re.search(r"/p/in/(\S+)/", second).group(1))
    client = Client()
    client.cookies["sam_portal_token"] = key
    pages = list(whole_pages(client, pages))  # the pages, not the actions (POST), files or redirects
    base = live_server.url
    context = axe_context(browser, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems = axe_violations(page, base + reverse("portal_link_request"))
        problems += axe_violations(page, base + "/p/in/not-a-token/")  # the "link cannot be used" page
        problems += axe_violations(page, base + link, lands_on=base + reverse("portal_sign_in"))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + reverse("portal_home"))
        checked = [path for path in pages if path not in (reverse("portal_sign_in"), reverse("portal_sign_out"))]
        problems += [problem for path in checked for problem in axe_violations(page, base + path)]
        page.get_by_role("button", name=re.compile("^Sign out")).click()
        page.get_by_role("heading", name="You are signed out").wait_for()
        problems += axe_problems(page, "the signed-out page")
    finally:
        context.close()
    assert len(checked) >= 6, checked
    assert not problems, f"{len(problems)} serious or critical axe violations:\n" + "\n".join(problems)
