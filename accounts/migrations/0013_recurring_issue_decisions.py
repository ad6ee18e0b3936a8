from django.db import migrations

# A recurring issue's fix that needed the customer's approval named a contact; it becomes a decision asked of
# that contact (due two weeks after the issue opened, as a reminder is due by then). A decision named without a
# contact keeps its words in the notes on the root cause, so nothing written is lost.
COPY = """
INSERT INTO "accounts_decision"
    (tenant_id, account_id, question, detail, contact_id, due, status, answer_note, recurring_issue_id,
     requested_at, escalation_level)
SELECT tenant_id, account_id,
       COALESCE(NULLIF(LEFT(decision_needed, 300), ''), 'Approve the fix of this recurring issue'),
       decision_needed, decision_contact_id, (opened_at + INTERVAL '14 days')::date,
       CASE WHEN status = 'open' THEN 'requested' ELSE 'expired' END, '', id, opened_at, 0
FROM "accounts_recurringissue" WHERE decision_contact_id IS NOT NULL
"""
KEEP_WORDS = """
UPDATE "accounts_recurringissue"
SET root_cause = CONCAT_WS(E'\\n\\n', NULLIF(root_cause, ''), 'Decision needed: ' || decision_needed)
WHERE decision_contact_id IS NULL AND decision_needed <> ''
"""
TABLES = ("accounts_decision", "accounts_recurringissue")


def to_decisions(apps, schema_editor):
    # Row-level security binds the owner too (FORCE): lifted for these statements, inside the migration's
    # transaction, so that every workspace's rows are seen.
    for table in TABLES:
        schema_editor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    schema_editor.execute(COPY)
    schema_editor.execute(KEEP_WORDS)
    # The new rows' foreign keys are checked now, not at commit: a table with pending checks cannot be altered.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in TABLES:
        schema_editor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_change_control"),
    ]

    operations = [
        # Backwards the fields come back empty: decisions stay where they are.
        migrations.RunPython(to_decisions, migrations.RunPython.noop),
        migrations.RemoveField(model_name="recurringissue", name="decision_contact"),
        migrations.RemoveField(model_name="recurringissue", name="decision_needed"),
    ]
