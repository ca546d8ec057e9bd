import threading
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from chuangwen.audit.models import AuditAnchor, AuditEntry
from chuangwen.audit.services import entry_digest, record, verify_chain
from chuangwen.cli import main as chuangwen_main
from conftest import PASSWORD, make_user


def verify_output():
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def verify_error():
    with pytest.raises(CommandError) as excinfo:
        call_command("audit", "verify")
    assert excinfo.value.returncode == 1
    return str(excinfo.value)


def write_entries(count):
    return [record(None, "test_event", detail={"n": n, "名称": "测试"}) for n in range(count)]


def test_it_verifies_the_entries_written_by_logins(client, org):
    make_user("west_handler", "handler", org["west"])
    login = reverse("accounts:login")
    client.post(login, {"username": "west_handler", "password": "wrong-One-1"})
    client.post(login, {"username": "west_handler", "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"login_failed", "login", "logout"} <= actions
    assert f"审计链完整：{AuditEntry.objects.count()} 条" in verify_output()


def test_it_names_an_entry_altered_in_the_database(db):
    entries = write_entries(5)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET actor_name = %s WHERE seq = %s", ["mallory", entries[2].seq]
        )
    message = verify_error()
    assert f"第 {entries[2].seq} 条审计记录已被篡改" in message


def test_it_names_an_entry_rewritten_with_a_recomputed_hash(db):
    entries = write_entries(5)
    forged = AuditEntry.objects.get(seq=entries[1].seq)
    forged.outcome = "denied"
    digest = entry_digest(forged)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET outcome = %s, hash = %s WHERE seq = %s",
            ["denied", digest, forged.seq],
        )
    report = verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, forged.seq)
    assert f"第 {forged.seq} 条" in verify_error()


def test_it_names_a_removed_entry(db):
    entries = write_entries(5)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [entries[3].seq])
    assert f"第 {entries[3].seq} 条审计记录已被删除" in verify_error()


def test_it_notices_that_the_newest_entries_were_removed(db):
    entries = write_entries(4)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq >= %s", [entries[2].seq])
    assert f"第 {entries[2].seq} 条起的审计记录已被删除" in verify_error()


def test_it_exits_with_status_1_from_the_console_command(db, capsys):
    entries = write_entries(3)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET detail = %s WHERE seq = %s", ['{"n": 99}', entries[0].seq]
        )
    with pytest.raises(SystemExit) as excinfo:
        chuangwen_main(["audit", "verify"])
    assert excinfo.value.code == 1
    assert f"第 {entries[0].seq} 条" in capsys.readouterr().err


def test_it_refuses_to_change_or_delete_an_entry_through_the_model(db):
    (entry,) = write_entries(1)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


@pytest.mark.django_db(transaction=True)
def test_it_gives_concurrent_writers_unique_consecutive_numbers():
    errors = []

    def writer(n):
        try:
            for i in range(15):
                record(None, "concurrent", detail={"thread": n, "i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = sorted(AuditEntry.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, 61))
    assert verify_chain().ok


def write_old_entries(count, days_ago):
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=days_ago)):
        return write_entries(count)


def test_it_refuses_to_prune_entries_inside_the_retention_period(db, settings):
    write_entries(2)
    with pytest.raises(CommandError) as excinfo:
        call_command("audit", "prune", "--before", timezone.localdate().isoformat())
    assert f"至少保留 {settings.AUDIT_RETENTION_DAYS} 天" in str(excinfo.value)
    assert AuditEntry.objects.count() == 2


def test_it_prunes_old_entries_and_the_chain_still_verifies(db, settings):
    old = write_old_entries(6, settings.AUDIT_RETENTION_DAYS + 30)
    young = write_entries(3)
    out = StringIO()
    call_command("audit", "prune", stdout=out)
    assert "已清理 6 条" in out.getvalue()
    assert not AuditEntry.objects.filter(seq__lte=old[-1].seq).exists()
    assert AuditEntry.objects.filter(seq__in=[e.seq for e in young]).count() == 3
    anchor = AuditAnchor.objects.get()
    assert (anchor.seq, anchor.hash) == (old[-1].seq, old[-1].hash)
    assert "审计链完整：4 条" in verify_output()  # three young entries and the prune's own entry
    # Pruning again finds nothing more to remove and keeps the chain whole.
    call_command("audit", "prune", stdout=StringIO())
    assert verify_chain().ok


def test_it_still_names_a_removed_entry_after_pruning(db, settings):
    write_old_entries(3, settings.AUDIT_RETENTION_DAYS + 1)
    young = write_entries(3)
    call_command("audit", "prune", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [young[0].seq])
    assert f"第 {young[0].seq} 条审计记录已被删除" in verify_error()


def test_it_detects_a_forged_anchor_hiding_removed_entries(db, settings):
    write_old_entries(3, settings.AUDIT_RETENTION_DAYS + 1)
    young = write_entries(4)
    call_command("audit", "prune", stdout=StringIO())
    # Remove two young entries and move the anchor forward as if they had been pruned.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq <= %s", [young[1].seq])
    AuditAnchor.objects.update(seq=young[1].seq, hash=young[1].hash)
    assert "清理锚点" in verify_error()
