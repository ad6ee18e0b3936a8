from django.db import migrations


def action_plans_joint(apps, schema_editor):
    """An assessment's action plan was agreed with the customer: its actions are shared with them, as new ones are."""
    apps.get_model("accounts", "ActionItem").objects.filter(
        source_kind="assessment", dedupe_key__startswith="recommendation:"
    ).update(joint=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_action_sides"),
    ]

    operations = [
        migrations.RunPython(action_plans_joint, migrations.RunPython.noop),
    ]
