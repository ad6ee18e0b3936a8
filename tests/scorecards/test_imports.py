"""CSV import of scorecard values: preview with per-row errors, all or nothing, health computed once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import PlaybookRun
from accounts.playbook_services import playbooks_check
from sam.models import AuditEvent
from sam.periods import quarter_of
from sam.roles import Role
from scorecards import services
from scorecards.models import MetricValue, Period, Scorecard
from tests.accounts.conftest import make_account

# NPS and satisfaction entered by hand (and so imported), as in templates made before the survey program
# filled them.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("survey_metrics_by_hand")]


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def upload(client, text):
    file = SimpleUploadedFile("values.csv", text.encode(), content_type="text/csv")
    return client.post(url("import_upload", "scorecard"), {"file": file})


def test_good_file_saves_every_value_and_computes_health_once(tenant_a, account_a, client_for):
    client = client_for(tenant_a.admin)
    text = (
        "account,period,metric,value,comment,evidence\n"
        f"{account_a.name},2026-Q3,share_of_wallet,45,Procurement estimate,https://intranet.example/w\n"
        f"{account_a.name},2026-Q3,Net Promoter Score,32,,\n"
        f'{account_a.name},2026-Q2,nps,"12.5",,\n'
    )
    response = upload(client, text)
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200 and b"All 3 rows pass the checks." in preview.content
    with tenant_a.ctx():
        assert not MetricValue.objects.exists() and not Period.objects.filter(label="2026-Q2").exists()
    done = client.post(response["Location"])
    assert done.status_code == 302 and done["Location"] == url("heatmap")
    with tenant_a.ctx():
        card = Scorecard.objects.get(account=account_a, period__label="2026-Q3")
        values = dict(MetricValue.objects.filter(scorecard=card).values_list("metric__key", "value"))
        assert values == {"share_of_wallet": 45, "nps": 32}
        assert MetricValue.objects.get(scorecard=card, metric__key="share_of_wallet").comment == "Procurement estimate"
        assert card.health is not None and "customer_insight" in card.area_scores
        assert Scorecard.objects.get(account=account_a, period__label="2026-Q2").health is not None


def test_bad_rows_save_nothing_and_each_says_why(tenant_a, tenant_b, account_a, client_for):
    make_account(tenant_b, "Bravo Only")
    client = client_for(tenant_a.admin)
    name = account_a.name
    text = (
        "account,period,metric,value,comment,evidence\n"
        f"{name},2026-Q3,share_of_wallet,45,,\n"  # fine
        "Bravo Only,2026-Q3,nps,10,,\n"  # another tenant's account
        f"{name},2026-Q9,nps,10,,\n"  # no such period
        f"{name},2026-Q3,vibes,10,,\n"  # no such metric
        f"{name},2026-Q3,nps,lots,,\n"  # not a number
        f"{name},2026-Q3,incidents,4,,\n"  # computed
        f"{name},2026-Q3,share_of_wallet,50,,\n"  # twice
        f"{name},2026-Q3,growth,5,,javascript:alert(1)\n"  # not a web link
        f"{name},2026-Q3,growth,,,\n"  # empty value
        f"{name},0000-Q1,nps,10,,\n"  # no such year
        f"{name},2026-07,nps,10,,\n"  # a month, in a quarterly tenant
        f"{name},2099-Q1,nps,10,,\n"  # not started yet
        f"{name},2026-Q3,satisfaction,99,,\n"  # out of range
    )
    response = upload(client, text)
    preview = client.get(response["Location"])
    body = preview.content.decode()
    assert preview.status_code == 400 and "12 of 13 rows have problems" in body
    for expected in ("No account named &#x27;Bravo Only&#x27;", "is not a period", "is not a metric of this scorecard",
                     "Enter a number", "is computed", "Row 2 already gives this value", "must be a web link",
                     "Required", "use a year from 2000 to 2100", "periods here are quarters",
                     "has not started yet", "from 1 to 5"):  # fmt: skip
        assert expected in body, expected
    client.post(response["Location"])
    with tenant_a.ctx():
        assert not MetricValue.objects.exists()


def test_closed_period_needs_an_admin_and_is_recorded(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        period = services.period_for(timezone.localdate() - timedelta(days=200))
        Period.objects.filter(pk=period.pk).update(closed=True)
        account_services.account_update(account=account_a, data={"owner": tenant_a.users[Role.ACCOUNT_MANAGER]},
                                        acting_user=None)  # fmt: skip
    text = f"account,period,metric,value\n{account_a.name},{period.label},nps,20\n"
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    preview = am.get(upload(am, text)["Location"])
    assert preview.status_code == 400 and b"is closed: only an admin" in preview.content
    admin = client_for(tenant_a.admin)
    location = upload(admin, text)["Location"]
    admin.post(location)
    with tenant_a.ctx():
        assert MetricValue.objects.get(scorecard__period=period).value == 20
        assert AuditEvent.objects.filter(action="scorecard.closed_edit").exists()


def test_account_manager_imports_only_for_accounts_they_may_edit(tenant_a, account_a, client_for):
    other = make_account(tenant_a, "Not Mine", owner_role=Role.ADMIN)
    am = tenant_a.users[Role.ACCOUNT_MANAGER]
    with tenant_a.ctx():
        account_services.account_update(account=account_a, data={"owner": am}, acting_user=None)
    client = client_for(am)
    text = f"account,period,metric,value\n{account_a.name},2026-Q3,nps,20\n{other.name},2026-Q3,nps,20\n"
    preview = client.get(upload(client, text)["Location"])
    assert preview.status_code == 400 and b"You cannot enter scorecard values for Not Mine" in preview.content
    assert client_for(tenant_a.users[Role.MEMBER]).get(url("import_upload", "scorecard")).status_code == 403


def test_alerts_come_once_from_the_periodic_check_for_the_final_state(tenant_a, account_a, client_for):
    client = client_for(tenant_a.admin)
    name = account_a.name
    label = quarter_of(timezone.localdate())[0]
    keys = ("growth", "share_of_wallet", "suppliers", "satisfaction", "nps", "events", "reference")
    low = {"growth": -5, "share_of_wallet": 20, "suppliers": 5, "satisfaction": 3, "nps": -20, "events": 0,
           "reference": 1}  # fmt: skip
    rows = "".join(f"{name},{label},{key},{low[key]}\n" for key in keys)
    client.post(upload(client, "account,period,metric,value\n" + rows)["Location"])
    with tenant_a.ctx():
        card = Scorecard.objects.get(account=account_a, period__label=label)
        assert card.health < 50
        runs = PlaybookRun.objects.filter(account=account_a, playbook__key="health_red")
        assert not runs.exists()  # half a file never fires a playbook: the check runs on its own schedule
        for _ in range(2):
            services.alerts_sweep()
            playbooks_check()
        assert runs.count() == 1
