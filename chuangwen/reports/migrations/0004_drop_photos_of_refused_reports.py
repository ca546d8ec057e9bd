"""Before all-or-nothing photo checks, a report refused for its last photo kept its first photos stored, each
with a row that no report or case ever cited (kind still "rectification", uploaded by the portal user). Those
rows go; their files no longer have a row and ``chuangwen evidence sweep`` removes them after its grace period."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

PORTAL_USERNAME = "citizen-portal"
# Rows younger than this are left alone: a report of the old code may be between its photos and its commit.
SETTLE = timedelta(hours=1)


def drop_refused_report_photos(evidence_model, now=None):
    """Delete the uncited photo rows of refused citizen reports; returns how many."""
    before = (now or timezone.now()) - SETTLE
    leftovers = evidence_model.objects.filter(
        uploader__username=PORTAL_USERNAME,
        kind="rectification",
        case_events__isnull=True,
        visit__isnull=True,
        judgement__isnull=True,
        received_at__lt=before,
    )
    pks = list(leftovers.values_list("pk", flat=True))
    evidence_model.objects.filter(pk__in=pks).delete()
    return len(pks)


def forwards(apps, schema_editor):
    drop_refused_report_photos(apps.get_model("evidence", "Evidence"))


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_limits_and_captchas"),
        ("cases", "0001_initial"),
        ("evidence", "0003_evidence_public_file"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
