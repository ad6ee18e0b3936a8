"""The mixed load of ``make load``: account managers, executives, customers and report requests at once.

Driven by bench/load.py (which seeds the tenants, writes the plan named by LOAD_PLAN and starts gunicorn, the
worker and beat); each simulated person runs at a fixed pace (``constant_throughput``), so the request rate is
set by the number of people, not by how fast the server answers.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from locust import HttpUser, constant_throughput, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
SLUGS = sorted(slug for slug in PLAN["tenants"] if slug != PLAN["timed"])  # the timed tenant stays untouched
PACE = float(os.environ.get("LOAD_PACE", "0.5"))  # requests per second of one simulated person
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_surveys = list(PLAN["surveys"])
random.Random(7).shuffle(_surveys)
_surveys_lock = threading.Lock()


def next_survey() -> dict[str, Any] | None:
    with _surveys_lock:
        return _surveys.pop() if _surveys else None


class SignedIn(HttpUser):
    abstract = True
    wait_time = constant_throughput(PACE)
    person = ""

    def on_start(self) -> None:
        page = self.client.get("/auth/login/", name="auth: login page")
        token = CSRF_FIELD.search(page.text)
        assert token, "no CSRF field on the login page"
        self.client.post(
            "/auth/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": PLAN["people"][self.person],
                "password": PLAN["password"],
            },
            name="auth: sign in",
        )
        self.slug = random.choice(SLUGS)
        self.rows = PLAN["tenants"][self.slug]

    def page(self, path: str, name: str) -> Any:
        return self.client.get(f"/t/{self.slug}{path}", name=f"page: {name}")

    def api_headers(self) -> dict[str, str]:
        return {"X-SAM-Tenant": self.slug, "X-CSRFToken": self.client.cookies.get("csrftoken", "")}


class AccountManager(SignedIn):
    """Works through their accounts: the portfolio, an account, its scorecard, their actions; edits actions and
    scorecard values (through the API, as the pages' own scripts and integrations do)."""

    weight = 6
    person = "manager"

    @task(3)
    def portfolio(self) -> None:
        self.page("/accounts/", "portfolio")

    @task(4)
    def account(self) -> None:
        self.page(f"/accounts/{random.choice(self.rows['accounts'])}/", "account")

    @task(2)
    def scorecard(self) -> None:
        self.page(f"/accounts/{random.choice(self.rows['accounts'])}/scorecard/", "account scorecard")

    @task(2)
    def my_actions(self) -> None:
        self.page("/my-actions/", "my actions")

    @task(1)
    def accounts_api(self) -> None:
        self.client.get("/api/v1/accounts/", headers=self.api_headers(), name="api: accounts list")

    @task(1)
    def actions_api(self) -> None:
        self.client.get("/api/v1/action-items/?page_size=50", headers=self.api_headers(), name="api: actions list")

    @task(2)
    def edit_action(self) -> None:
        if self.rows["actions"]:
            action = random.choice(self.rows["actions"])
            self.client.patch(
                f"/api/v1/action-items/{action}/",
                json={"detail": f"Checked with the customer ({random.randint(1, 10**6)})."},
                headers=self.api_headers(),
                name="api: action edit",
            )

    @task(2)
    def edit_scorecard_value(self) -> None:
        if self.rows["metric_values"]:
            value = random.choice(self.rows["metric_values"])
            self.client.post(  # sets the value of a metric on a scorecard, creating or replacing it
                "/api/v1/metric-values/",
                json={
                    "scorecard": value["scorecard_id"],
                    "metric": value["metric_id"],
                    "value": value["value"],
                    "comment": f"Confirmed in the monthly review ({random.randint(1, 10**6)}).",
                },
                headers=self.api_headers(),
                name="api: scorecard value edit",
            )


class Executive(SignedIn):
    """Looks at the program: the dashboard and the scorecard heatmap."""

    weight = 2
    person = "executive"

    @task(3)
    def dashboard(self) -> None:
        self.page("/", "dashboard")

    @task(1)
    def heatmap(self) -> None:
        self.page("/scorecards/", "heatmap")


class ReportRequester(SignedIn):
    """Asks for an account's Operations Review as a PDF (the worker renders it; the page it lands on lists it)."""

    weight = 1
    person = "manager"
    wait_time = constant_throughput(PACE / 4)

    @task
    def operations_review_pdf(self) -> None:
        account = random.choice(self.rows["accounts"])
        form = self.page(f"/accounts/{account}/operations-review/", "operations review")
        token = CSRF_FIELD.search(form.text)
        if token is None:
            return
        # A period of its own each time: a new document, not the one already made for the same period.
        end = date.today() - timedelta(days=random.randint(0, 3000))
        self.client.post(
            f"/t/{self.slug}/accounts/{account}/operations-review/pdf/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "start": (end - timedelta(days=90)).isoformat(),
                "end": end.isoformat(),
                "summary": "",
                "recommendations": "",
            },
            name="pdf: request",  # redirected to the review page, which lists the document as the worker renders
        )


class Customer(HttpUser):
    """Opens the emailed survey link (no login), reads the form, answers."""

    weight = 2
    wait_time = constant_throughput(PACE)

    @task
    def answer(self) -> None:
        survey = next_survey()
        if survey is None:
            return
        self.client.cookies.clear()
        with self.client.get(f"/s/{survey['token']}/", name="survey: open link", catch_response=True) as form:
            token = CSRF_FIELD.search(form.text)  # redirected to /s/, the form
            if token is None:
                form.failure("no survey form behind the link")
                return
        answers = {"csrfmiddlewaretoken": token.group(1), **survey["answers"]}
        with self.client.post("/s/", data=answers, name="survey: submit", catch_response=True) as done:
            if "Thank you" not in done.text:  # the apology page answers 200 too
                done.failure("the answer was not taken")
