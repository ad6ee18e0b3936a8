from django.db import migrations


def action_plans_joint(apps, schema_editor):
    """An assessment's action plan was agreed with the customer: its actions are shared with them, as new ones are.
    Row-level security binds the owner too (FORCE): lifted for this statement, inside the migration's transaction."""
    schema_editor.execute('ALTER TABLE "accounts_actionitem" NO FORCE ROW LEVEL SECURITY')
    schema_editor.execute(
        "UPDATE accounts_actionitem SET joint = true "
        "WHERE source_kind = 'assessment' AND dedupe_key LIKE 'recommendation:%%'"
    )
    schema_editor.execute('ALTER TABLE "accounts_actionitem" FORCE ROW LEVEL SECURITY')


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_action_sides"),
    ]

    operations = [
        migrations.RunPython(action_plans_joint, migrations.RunPython.noop),
    ]
