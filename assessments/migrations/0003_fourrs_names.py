"""The 4 R's go by one name: SelfAssessmentRound -> FourRsRound, RoundInvitation -> FourRsInvitation,
SelfAssessment -> FourRsResult. Documents made of rounds and results follow their subject's new name."""

from django.db import migrations

RENAMED = {
    "assessments.selfassessmentround": "assessments.fourrsround",
    "assessments.selfassessment": "assessments.fourrsresult",
}


def _documents(schema_editor, names):
    """Each tenant's documents (row-level security: one tenant at a time, set for this transaction only)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id FROM sam_tenant")
        for (tenant_id,) in cursor.fetchall():
            cursor.execute("SELECT set_config('sam.tenant_id', %s, true)", [str(tenant_id)])
            for old, new in names.items():
                cursor.execute("UPDATE sam_document SET subject_type = %s WHERE subject_type = %s", [new, old])
        cursor.execute("SELECT set_config('sam.tenant_id', '', true)")


def forwards(apps, schema_editor):
    _documents(schema_editor, RENAMED)


def backwards(apps, schema_editor):
    _documents(schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0002_frozen_rate"),
        ("sam", "0010_settings_per_app"),
    ]

    operations = [
        migrations.RenameModel("SelfAssessmentRound", "FourRsRound"),
        migrations.RenameModel("RoundInvitation", "FourRsInvitation"),
        migrations.RenameModel("SelfAssessment", "FourRsResult"),
        migrations.RunPython(forwards, backwards),
    ]
