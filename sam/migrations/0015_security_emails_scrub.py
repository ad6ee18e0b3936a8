from django.db import migrations


def scrub(apps, schema_editor):
    """No live password link rests in an outbox any more (sam/services.py, security emails): the ones already
    there go. Password reset emails outside tenants are dropped (a queued one is asked for again in a click); the
    invitations' sent bodies are blanked and their queued ones get the placeholder filled in as they leave.
    Row-level security binds the owner too (FORCE): lifted for these statements, inside the migration."""
    schema_editor.execute("DELETE FROM sam_platformemail WHERE idempotency_key LIKE 'password-reset:%%'")
    schema_editor.execute('ALTER TABLE "sam_outboundemail" NO FORCE ROW LEVEL SECURITY')
    schema_editor.execute(
        "UPDATE sam_outboundemail SET body_text = '', body_html = '' "
        "WHERE idempotency_key LIKE 'membership-added:%%' AND status <> 'queued'"
    )
    schema_editor.execute(
        "UPDATE sam_outboundemail SET body_text = regexp_replace(body_text, "
        "'https?://\\S*/auth/reset/\\S+', '[password link]', 'g') "
        "WHERE idempotency_key LIKE 'membership-added:%%' AND status = 'queued'"
    )
    schema_editor.execute('ALTER TABLE "sam_outboundemail" FORCE ROW LEVEL SECURITY')


class Migration(migrations.Migration):
    dependencies = [
        ("sam", "0014_tenant_keys"),
    ]

    operations = [
        migrations.RunPython(scrub, migrations.RunPython.noop),
    ]
