"""Every workspace gets the default playbooks, and the follow-ups the product made before playbooks existed become
their history: each detractor answer's follow-up and each scorecard alert is a run of its playbook (so the check
does not fire again for them), with its action in the run's group."""

from django.db import migrations

TABLES = ("accounts_playbook", "accounts_playbookstep", "accounts_playbookrun", "accounts_actionitem", "voc_response")
AM, EP, CSM = "account_manager", "executive_partner", "customer_service_manager"
# As accounts.playbook_services.DEFAULTS stood when playbooks came (a migration keeps its own copy).
DEFAULTS = [
    ("detractor", "Detractor answer", "detractor", None, [
        ("Call the contact to hear them out", AM, 2),
        ("Agree a recovery plan with the customer", AM, 7),
        ("Brief the Executive Partner on the detractor and the plan", EP, 7),
        ("Check back with the contact on the plan's progress", CSM, 30),
    ]),
    ("health_red", "Health turned red", "health_red", None, [
        ("Find out why health is red: the metrics below target", AM, 7),
        ("Agree a plan for the metrics below target with the customer", AM, 14),
        ("Review the recovery plan with the Executive Partner", EP, 21),
    ]),
    ("area_drop", "Scorecard area dropped two bands", "area_drop", None, [
        ("Find out why the area fell from green to red and agree a plan", AM, 14),
    ]),
    ("renewal", "Renewal in 120 days", "renewal_within", 120, [
        ("Review health, survey answers and open issues ahead of the renewal", AM, 7),
        ("Meet the economic buyer about the renewal", EP, 30),
        ("Send the renewal proposal", AM, 60),
    ]),
]  # fmt: skip


def _history(apps, tenant, playbooks):
    ActionItem = apps.get_model("accounts", "ActionItem")
    PlaybookRun = apps.get_model("accounts", "PlaybookRun")
    Response = apps.get_model("voc", "Response")
    # (playbook key, account, subject) -> the follow-up actions, oldest first
    found = []
    for response in Response.objects.filter(tenant=tenant, follow_up__isnull=False).select_related("follow_up"):
        found.append(("detractor", response.follow_up.account_id, str(response.pk), response.follow_up))
    for item in ActionItem.objects.filter(tenant=tenant, source_kind="scorecard_alert").order_by("created_at", "pk"):
        if item.dedupe_key.startswith("health-red:"):
            found.append(("health_red", item.account_id, "", item))
        elif item.dedupe_key.startswith("area-drop:"):
            found.append(("area_drop", item.account_id, item.dedupe_key.rsplit(":", 1)[-1], item))
    found.sort(key=lambda f: (f[3].created_at, f[3].pk))
    live = {}
    for key, account_id, subject, item in found:
        earlier = live.pop((key, account_id, subject), None)
        if earlier is not None:  # the same signal again later: the earlier run had cleared by then
            earlier.cleared_at = item.created_at
            earlier.save(update_fields=["cleared_at"])
        run = PlaybookRun.objects.create(
            tenant=tenant,
            playbook=playbooks[key],
            account_id=account_id,
            subject=subject,
            reason=item.title,
            fired_at=item.created_at,
        )
        ActionItem.objects.filter(pk=item.pk).update(playbook_run=run)
        live[(key, account_id, subject)] = run


def forwards(apps, schema_editor):
    for table in TABLES:
        schema_editor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    Tenant = apps.get_model("sam", "Tenant")
    Playbook = apps.get_model("accounts", "Playbook")
    PlaybookStep = apps.get_model("accounts", "PlaybookStep")
    for tenant in Tenant.objects.all():
        playbooks = {}
        for key, name, trigger, days, steps in DEFAULTS:
            playbook = Playbook.objects.filter(tenant=tenant, key=key).first()
            if playbook is None:
                playbook = Playbook.objects.create(tenant=tenant, key=key, name=name, trigger=trigger, days=days)
                PlaybookStep.objects.bulk_create(
                    PlaybookStep(tenant=tenant, playbook=playbook, order=i, title=t, role=r, due_days=d)
                    for i, (t, r, d) in enumerate(steps)
                )
            playbooks[key] = playbook
        _history(apps, tenant, playbooks)
    for table in TABLES:
        schema_editor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0016_timeline_playbooks"),
        ("voc", "0004_campaign_digest_sent_at"),
        ("sam", "0012_audit_contact_actor"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
