"""Issue 10 ("High"): an attacker with database write access rewrote one audit entry, recomputed the hashes of
every later one with the keyless SHA-256, and `audit verify` passed. The hash is now an HMAC under a key kept
outside the database; entries from before the key keep their old hash, sealed, and cannot be downgraded to."""

import importlib
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from chuangwen.audit.digests import KEYED_ACTION, keyed_digest, plain_digest
from chuangwen.audit.models import AuditEntry, Scheme
from chuangwen.audit.services import GENESIS, entry_digest, record, verify_chain
from chuangwen.audit.tests.forgery import STOLEN_OR_GUESSED, forge_from, write_entries

KEY_2025 = "k2025:" + "old-audit-key-0123456789abcdef-0123456789"
KEY_2026 = "k2026:" + "new-audit-key-0123456789abcdef-0123456789"


def verify_error():
    with pytest.raises(CommandError) as excinfo:
        call_command("audit", "verify")
    return str(excinfo.value)


def test_it_detects_a_rewritten_entry_even_when_every_later_hash_is_recomputed(db):
    entries = write_entries(8)
    target = entries[2].seq
    forge_from(target, plain_digest, actor_name="mallory", outcome="success")
    report = verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, target)
    assert f"第 {target} 条审计记录已被篡改" in verify_error()


@pytest.mark.parametrize("guess", ["secret_key", "made_up"])
def test_it_detects_a_rewrite_by_someone_who_knows_the_algorithm_but_not_the_key(db, settings, guess):
    entries = write_entries(6)
    key = settings.SECRET_KEY if guess == "secret_key" else STOLEN_OR_GUESSED
    target = entries[1].seq
    forge_from(target, lambda entry: keyed_digest(entry, key), object_repr="被改写的对象")
    report = verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, target)
    assert f"第 {target} 条审计记录已被篡改" in report.problem


def test_it_refuses_a_downgrade_of_new_entries_to_the_keyless_hash(db):
    entries = write_entries(6)
    target = entries[3].seq
    forge_from(target, plain_digest, outcome="denied", scheme=Scheme.SHA256, key_id="")
    message = verify_error()
    assert f"第 {target} 条审计记录使用了无密钥的旧哈希" in message
    assert "降级" in message


def test_it_refuses_a_whole_chain_downgraded_to_the_keyless_hash(db):
    write_entries(4)
    forge_from(1, plain_digest, scheme=Scheme.SHA256, key_id="")
    report = verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, 1)
    assert "降级" in report.problem


def test_it_signs_new_entries_with_the_first_key_and_verifies_rotated_ones(db, settings):
    settings.AUDIT_HMAC_KEYS = (tuple(KEY_2025.split(":", 1)),)
    old = write_entries(2)
    settings.AUDIT_HMAC_KEYS = (tuple(KEY_2026.split(":", 1)), tuple(KEY_2025.split(":", 1)))
    new = write_entries(2)
    assert {e.key_id for e in old} == {"k2025"} and {e.key_id for e in new} == {"k2026"}
    assert all(e.scheme == Scheme.HMAC_SHA256 for e in old + new)
    assert verify_chain().ok
    # Dropping the old key too early leaves its entries unverifiable, and verify says which key is missing.
    settings.AUDIT_HMAC_KEYS = (tuple(KEY_2026.split(":", 1)),)
    report = verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, old[0].seq)
    assert "签名密钥 k2025 未配置" in report.problem


LATEST = "0003_keyed_chain"
_LEGACY_AT = "2026-01-05 08:00:00"


def _legacy_rows(count):
    """(prev_hash, hash) of keyless entries as the old code computed them, for the raw rows above."""
    rows, previous = [], GENESIS
    for seq in range(1, count + 1):
        entry = AuditEntry(
            seq=seq,
            at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
            action="before_the_key",
            detail={"n": seq},
            prev_hash=previous,
        )
        rows.append((previous, plain_digest(entry)))
        previous = rows[-1][1]
    return rows


def migrate_audit(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("audit", target)])


@pytest.mark.django_db(transaction=True)
def test_it_keeps_old_entries_verifiable_and_seals_them_under_the_key_when_migrating():
    try:
        migrate_audit("0002_auditanchor_alter_auditentry_actor")
        with connection.cursor() as cursor:
            for seq, (prev, digest) in enumerate(_legacy_rows(3), start=1):
                cursor.execute(
                    "INSERT INTO audit_auditentry (seq, at, actor_name, action, object_type, object_id, "
                    "object_repr, outcome, detail, prev_hash, hash) "
                    "VALUES (%s, %s, '', 'before_the_key', '', '', '', 'success', %s, %s, %s)",
                    [seq, _LEGACY_AT, f'{{"n": {seq}}}', prev, digest],
                )
            head = "INSERT INTO audit_audithead (id, last_seq, last_hash) VALUES (1, 3, %s)"
            cursor.execute(head, [digest])
        migrate_audit(LATEST)
    finally:
        migrate_audit(LATEST)  # the next tests need the real schema whatever happened here
    rows = list(AuditEntry.objects.order_by("seq").values_list("seq", "scheme", "action"))
    assert rows[:3] == [(n, Scheme.SHA256, "before_the_key") for n in (1, 2, 3)]
    assert rows[3] == (4, Scheme.HMAC_SHA256, KEYED_ACTION)
    assert AuditEntry.objects.get(seq=4).detail["legacy_through"] == 3
    write_entries(2)
    report = verify_chain()
    assert report.ok and report.checked == 6
    # The old part is sealed too: rewriting an old entry and recomputing the keyless hashes up to the seal
    # breaks the link into the keyed seal, which cannot be recomputed without the key.
    forge_from(2, plain_digest, through=3, actor_name="mallory")
    report = verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert "第 3 条审计记录已被改写" in report.problem


def test_it_seals_nothing_on_a_new_installation(db):
    migration = importlib.import_module("chuangwen.audit.migrations.0003_keyed_chain")
    migration.seal_keyless_entries(django_apps, None)
    assert not AuditEntry.objects.exists()
    assert record(None, "first").seq == 1


def test_it_computes_the_same_digest_the_database_gives_back(db):
    (entry,) = write_entries(1)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert entry_digest(stored) == stored.hash == entry.hash
    assert stored.key_id and stored.scheme == Scheme.HMAC_SHA256


def run_settings(tmp_path, **env):
    """Load the settings in a fresh process, as a start would, and print the signing key's id."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AUDIT_", "CHUANGWEN_", "SECRET_KEY"))}
    base.update({"CHUANGWEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "chuangwen.settings", **env})
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.AUDIT_HMAC_KEYS[0][0])"
    )
    return subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=120)


def test_it_refuses_to_start_in_production_without_an_audit_key(tmp_path):
    secret = "a-long-random-production-secret-key-0123456789abcdef-0123456789"
    result = run_settings(tmp_path, CHUANGWEN_MODE="production", SECRET_KEY=secret)
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE must be set" in result.stderr
    assert not (tmp_path / "audit_hmac_key").exists()  # no silent fallback to a generated key
    same = run_settings(tmp_path, CHUANGWEN_MODE="production", SECRET_KEY=secret, AUDIT_HMAC_KEY=secret)
    assert "must not be the SECRET_KEY" in same.stderr
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY_2026 + "\n" + KEY_2025 + "\n")
    good = run_settings(
        tmp_path, CHUANGWEN_MODE="production", SECRET_KEY=secret, AUDIT_HMAC_KEY_FILE=str(key_file)
    )
    assert (good.returncode, good.stdout.strip()) == (0, "k2026"), good.stderr


def test_it_generates_the_embedded_defaults_key_once_readable_by_the_owner_only(tmp_path):
    first = run_settings(tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "audit_hmac_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() != (tmp_path / "secret_key").read_text().strip()
    again = run_settings(tmp_path)
    assert again.stdout == first.stdout  # the same key, not a new one per start


def test_it_refuses_a_short_or_malformed_key(tmp_path):
    short = run_settings(tmp_path, AUDIT_HMAC_KEY="k1:too-short")
    assert short.returncode != 0 and "shorter than 32 characters" in short.stderr
    twice = run_settings(tmp_path, AUDIT_HMAC_KEY=f"{KEY_2026},{KEY_2026}")
    assert twice.returncode != 0 and "given twice" in twice.stderr


def test_it_gives_processes_starting_together_one_secret_key(tmp_path):
    # Two web workers on a fresh install import the settings at the same moment: both must sign sessions
    # with the same key, or a login made on one worker is refused by the other.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AUDIT_", "CHUANGWEN_", "SECRET_KEY"))}
    base.update({"CHUANGWEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "chuangwen.settings"})
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    starts = [
        subprocess.Popen([sys.executable, "-c", code], env=base, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    keys = {start.communicate(timeout=120)[0].strip() for start in starts}
    assert len(keys) == 1 and len(keys.pop()) >= 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
