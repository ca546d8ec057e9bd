"""Every token has an expiry from now on (a separate migration: PostgreSQL refuses to alter a table in the
transaction that just updated its rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_apitoken_expires_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(db_index=True, verbose_name="过期时间"),
        ),
    ]
