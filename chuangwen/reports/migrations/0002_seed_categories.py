"""The starter public categories (chuangwen/reports/categories.py)."""

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from chuangwen.reports.categories import seed as add_missing

    add_missing(apps.get_model("reports", "ReportCategory"))


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
