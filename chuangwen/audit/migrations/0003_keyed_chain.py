"""Audit entries get a keyed hash (HMAC-SHA-256, key outside the database).

Entries already written keep their keyless SHA-256 (scheme ``sha256``). If there are any, one keyed entry
(``audit_keyed``) is appended naming the last of them: it seals the old part of the chain under the key, and
``audit verify`` refuses any keyless entry after it (so a rewrite cannot downgrade new entries).
"""

from django.db import migrations, models
from django.utils import timezone


def seal_keyless_entries(apps, schema_editor):
    from chuangwen.audit.digests import KEYED_ACTION, keyed_digest, signing_key

    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditHead = apps.get_model("audit", "AuditHead")
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.last_seq == 0:
        return  # a new installation: every entry will be keyed
    key_id, key = signing_key()
    entry = AuditEntry(
        seq=head.last_seq + 1,
        at=timezone.now(),
        actor_name="migration",
        action=KEYED_ACTION,
        detail={"legacy_through": head.last_seq, "legacy_hash": head.last_hash, "key_id": key_id},
        prev_hash=head.last_hash,
        scheme="hmac-sha256",
        key_id=key_id,
    )
    entry.hash = keyed_digest(entry, key)
    entry.save()
    AuditHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_auditanchor_alter_auditentry_actor"),
    ]

    operations = [
        # Existing rows are keyless; the default then becomes the keyed scheme for every new entry.
        migrations.AddField(
            model_name="auditentry",
            name="scheme",
            field=models.CharField(
                choices=[("sha256", "SHA-256（无密钥，旧记录）"), ("hmac-sha256", "HMAC-SHA-256（密钥）")],
                default="sha256",
                max_length=16,
                verbose_name="哈希方式",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="scheme",
            field=models.CharField(
                choices=[("sha256", "SHA-256（无密钥，旧记录）"), ("hmac-sha256", "HMAC-SHA-256（密钥）")],
                default="hmac-sha256",
                max_length=16,
                verbose_name="哈希方式",
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16, verbose_name="密钥编号"),
        ),
        migrations.AlterModelOptions(
            name="auditanchor",
            options={
                "ordering": ["-seq"],
                "verbose_name": "审计链清理锚点",
                "verbose_name_plural": "审计链清理锚点",
            },
        ),
        migrations.RunPython(seal_keyless_entries, migrations.RunPython.noop),
    ]
