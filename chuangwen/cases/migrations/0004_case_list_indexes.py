# Indexes of the case list at 1 M cases (bench/cases): only indexes. The (unit, state) index becomes
# (unit, state, area_unit), which answers the same lookups and the list's count from the index alone.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0003_case_followup"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_unit_id_b836bd_idx",
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["state", "-opened_at", "-id", "unit"], name="case_state_opened_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["unit", "state", "area_unit"], name="case_unit_state_area_idx"),
        ),
    ]
