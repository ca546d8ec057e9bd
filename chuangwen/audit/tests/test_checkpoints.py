"""External checkpoints (外部锚点) of the audit chain: what they catch that the keyed hash alone cannot (a
stolen key, a cut-off tail), what they refuse to bless, and how they survive pruning and a restore."""

import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from chuangwen.audit.checkpoints import write_checkpoint
from chuangwen.audit.digests import sign_checkpoint
from chuangwen.audit.models import AuditEntry, AuditHead
from chuangwen.audit.services import entry_digest, record, verify_chain
from chuangwen.audit.tasks import checkpoint_chain
from chuangwen.audit.tests.forgery import STOLEN_OR_GUESSED, forge_from, write_entries

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def anchor():
    out = StringIO()
    call_command("audit", "anchor", stdout=out)
    return out.getvalue()


def verify_output():
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_it_writes_a_signed_checkpoint_every_ten_minutes_and_on_demand(db, checkpoint_file):
    schedule = checkpoint_chain.task_class()
    assert schedule.validate_datetime(datetime(2026, 3, 2, 1, 10))
    assert not schedule.validate_datetime(datetime(2026, 3, 2, 1, 5))
    entries = write_entries(3)
    with time_machine.travel(NOW, tick=False):
        checkpoint_chain.call_local()
    (line,) = lines(checkpoint_file)
    assert (line["kind"], line["seq"], line["hash"]) == ("checkpoint", entries[-1].seq, entries[-1].hash)
    assert datetime.fromisoformat(line["at"]) == NOW
    assert stat.S_IMODE(os.stat(checkpoint_file).st_mode) == 0o600
    assert "没有新的审计记录" in anchor()
    newer = write_entries(1)[0]
    assert f"审计链锚点 #{newer.seq} {newer.hash[:12]}" in anchor()
    assert [line["seq"] for line in lines(checkpoint_file)] == [entries[-1].seq, newer.seq]
    output = verify_output()
    assert f"审计链完整：{AuditEntry.objects.count()} 条" in output
    assert f"外部锚点：已核对 2 个，最新为审计链锚点 #{newer.seq}" in output


def test_it_catches_a_rewrite_with_a_stolen_key_through_the_checkpoint(db, settings, checkpoint_file):
    entries = write_entries(5)
    anchor()
    more = write_entries(3)
    anchor()
    target = entries[2].seq
    # With the key the attacker recomputes a chain that is consistent in the database ...
    forge_from(target, entry_digest, actor_name="mallory")
    settings.AUDIT_ANCHOR_FILE = None
    assert verify_chain().ok
    # ... but the checkpoint written before the rewrite still names the old hash.
    settings.AUDIT_ANCHOR_FILE = checkpoint_file
    report = verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, entries[-1].seq)
    assert f"第 {entries[-1].seq} 条审计记录与外部锚点（第 1 行）不符：第 1 至 {entries[-1].seq} 条" in (
        report.problem
    )
    # And no new checkpoint blesses the rewritten chain.
    record(None, "after_the_rewrite")
    with pytest.raises(CommandError) as excinfo:
        anchor()
    assert f"第 {more[-1].seq} 条审计记录与外部锚点不符" in str(excinfo.value)
    assert len(lines(checkpoint_file)) == 2


def test_it_notices_the_tail_cut_off_behind_a_checkpoint(db, settings, checkpoint_file):
    entries = write_entries(6)
    anchor()
    kept = entries[2]
    AuditEntry.objects.filter(seq__gt=kept.seq).delete()
    AuditHead.objects.filter(pk=1).update(last_seq=kept.seq, last_hash=kept.hash)
    settings.AUDIT_ANCHOR_FILE = None
    assert verify_chain().ok  # the database alone looks whole
    settings.AUDIT_ANCHOR_FILE = checkpoint_file
    report = verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, kept.seq + 1)
    assert f"记录过第 {entries[-1].seq} 条，数据库中只到第 {kept.seq} 条" in report.problem


def rewrite_line(path, number, **changes):
    raw = path.read_text().splitlines()
    data = json.loads(raw[number - 1])
    data.update(changes)
    raw[number - 1] = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    path.write_text("\n".join(raw) + "\n")


def test_it_detects_a_tampered_checkpoint_line(db, checkpoint_file):
    entries = write_entries(4)
    anchor()
    # The attacker (with the key) rewrote the chain and moves the checkpoint to the forged hash ...
    forge_from(entries[1].seq, entry_digest, actor_name="mallory")
    forged = AuditEntry.objects.get(seq=entries[-1].seq).hash
    rewrite_line(checkpoint_file, 1, hash=forged)
    report = verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, entries[-1].seq)
    assert f"外部锚点文件第 1 行（#{entries[-1].seq}）的签名不符：该锚点被改动过" in report.problem
    # ... and signing the edited line with another key does not help.
    payload = {k: v for k, v in lines(checkpoint_file)[0].items() if k != "mac"}
    rewrite_line(checkpoint_file, 1, mac=sign_checkpoint(payload, STOLEN_OR_GUESSED))
    assert "签名不符" in verify_chain().problem
    rewrite_line(checkpoint_file, 1, key_id="attacker")
    assert "签名密钥 attacker 未配置" in verify_chain().problem


def test_it_detects_checkpoint_lines_put_out_of_order(db, checkpoint_file):
    write_entries(2)
    anchor()
    write_entries(2)
    anchor()
    first, second = checkpoint_file.read_text().splitlines()
    checkpoint_file.write_text(f"{second}\n{first}\n")
    report = verify_chain()
    assert not report.ok
    assert "外部锚点文件第 2 行的 #2 不大于上一行的 #4" in report.problem


def test_it_writes_no_checkpoint_over_a_broken_chain(db, checkpoint_file):
    entries = write_entries(3)
    with connection.cursor() as cursor:
        sql = "UPDATE audit_auditentry SET actor_name = %s WHERE seq = %s"
        cursor.execute(sql, ["mallory", entries[1].seq])
    with pytest.raises(CommandError) as excinfo:
        anchor()
    assert f"审计链已被破坏，未写入外部锚点：第 {entries[1].seq} 条审计记录已被篡改" in str(excinfo.value)
    assert not checkpoint_file.exists() or checkpoint_file.read_text() == ""


def test_it_skips_checkpoints_of_pruned_entries(db, settings, checkpoint_file):
    old_day = NOW - timedelta(days=settings.AUDIT_RETENTION_DAYS + 30)
    with time_machine.travel(old_day, tick=False):
        old = write_entries(4)
        anchor()
    with time_machine.travel(NOW, tick=False):
        write_entries(2)
        call_command("audit", "prune", stdout=StringIO())
        anchor()
        output = verify_output()
    assert not AuditEntry.objects.filter(seq__lte=old[-1].seq).exists()
    assert "1 个外部锚点所指的记录已按保留期清理，未核对" in output
    assert "外部锚点：已核对 1 个" in output


def test_it_says_when_there_is_no_checkpoint_file_yet(db, checkpoint_file):
    write_entries(1)
    assert "未找到外部锚点文件" in verify_output()


@pytest.mark.django_db(transaction=True)
def test_it_checkpoints_while_a_writer_holds_the_write_lock(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.jsonl"
    write_entries(3)
    holding, release = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                record(None, "slow_writer")  # takes the chain's lock and keeps it
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(30)
        checkpoint = write_checkpoint()  # would wait for the lock (and time out) if it needed it
    finally:
        release.set()
        thread.join()
    assert checkpoint is not None and checkpoint.seq == 3
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_it_keeps_checkpoints_meaningful_across_a_restore(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = path = tmp_path / "audit-anchors.jsonl"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    write_entries(3)
    anchor()
    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    lost = write_entries(2)
    anchor()  # names an entry the restore will roll back
    call_command("restore", str(tmp_path / "backup"), interactive=False, stdout=StringIO())
    restored = AuditEntry.objects.get(action="restore")
    assert not AuditEntry.objects.filter(seq=lost[-1].seq, hash=lost[-1].hash).exists()
    last = lines(path)[-1]
    assert (last["kind"], last["seq"], last["hash"]) == ("restore", restored.seq, restored.hash)
    output = verify_output()
    assert "1 个锚点记录的是从备份恢复前的记录，已被恢复（第 3 行）取代" in output
    newer = write_entries(1)[0]
    assert f"#{newer.seq}" in anchor()
    assert "外部锚点：已核对 3 个" in verify_output()  # before the backup, the restore, after it
