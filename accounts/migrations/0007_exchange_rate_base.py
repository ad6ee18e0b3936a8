from django.db import migrations, models


class Migration(migrations.Migration):
    """Each rate names the base currency it converts into: a tenant that switches its base currency never applies
    rates into the old one (they wait, and a switch back uses them again). Every tenant's base was USD so far."""

    dependencies = [
        ("accounts", "0006_renewals_revenue_rates"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="exchangerate", name="exchangerate_unique_day"),
        migrations.AddField(
            model_name="exchangerate",
            name="base",
            field=models.CharField(default="USD", max_length=3),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="exchangerate",
            constraint=models.UniqueConstraint(
                fields=("tenant", "base", "currency", "valid_from"), name="exchangerate_unique_day"
            ),
        ),
    ]
