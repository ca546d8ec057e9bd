import hashlib
import json
import shutil
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from chuangwen.audit.models import AuditEntry
from chuangwen.audit.services import record, verify_chain
from chuangwen.core import backup


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Uploader(threading.Thread):
    """Stores a file, then commits a row naming it (the order photo uploads use), until told to stop."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.written = 0
        self.errors = []

    def run(self):
        try:
            while not self.stop.is_set():
                body = f"photo {self.written} ".encode() * 400
                name = default_storage.save(f"evidence/{self.written:05d}.jpg", ContentFile(body))
                detail = {"name": name, "sha256": hashlib.sha256(body).hexdigest()}
                record(None, "test_upload", detail=detail)
                self.written += 1
        except Exception as exc:
            self.errors.append(exc)
        finally:
            connections.close_all()

    def wait_for(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while self.written < count and not self.errors:
            assert time.monotonic() < deadline, "the uploader stalled"
            time.sleep(0.01)


def round_trip_while_writing(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    uploader = Uploader()
    uploader.start()
    try:
        uploader.wait_for(20)
        committed_before = set(AuditEntry.objects.filter(action="test_upload").values_list("seq", flat=True))
        target = tmp_path / "backup"
        call_command("backup", str(target), stdout=StringIO())
        uploader.wait_for(uploader.written + 20)  # the system goes on after the snapshot
    finally:
        uploader.stop.set()
        uploader.join()
    assert uploader.errors == []
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["file_count"] == len(manifest["files"]) >= len(committed_before)
    shutil.rmtree(settings.MEDIA_ROOT)  # lose every file, then bring the backup back

    call_command("restore", str(target), interactive=False, stdout=StringIO())

    rows = dict(AuditEntry.objects.filter(action="test_upload").values_list("seq", "detail"))
    assert committed_before <= set(rows)
    assert len(rows) < uploader.written  # rows written after the snapshot are gone: the database was replaced
    for detail in rows.values():
        path = Path(settings.MEDIA_ROOT) / detail["name"]
        assert path.is_file(), detail["name"]
        assert sha256(path) == detail["sha256"]
    for relative, digest in manifest["files"].items():
        assert sha256(Path(settings.MEDIA_ROOT) / relative) == digest
    assert verify_chain().ok
    assert AuditEntry.objects.filter(action="restore").exists()


@pytest.mark.django_db(transaction=True)
def test_it_backs_up_and_restores_while_another_thread_writes(tmp_path, settings):
    """SQLite via its online backup API, PostgreSQL via pg_dump and pg_restore: whichever the suite uses."""
    round_trip_while_writing(tmp_path, settings)


@pytest.fixture
def small_backup(transactional_db, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    default_storage.save("evidence/a.jpg", ContentFile(b"a" * 100))
    default_storage.save("evidence/sub/b.jpg", ContentFile(b"b" * 100))
    target = tmp_path / "backup"
    backup.make_backup(target, actor_name="cli:test")
    return target


def test_it_records_the_backup_in_the_audit_log(small_backup):
    entry = AuditEntry.objects.filter(action="backup").get()
    assert entry.actor_name == "cli:test"
    assert entry.detail["file_count"] == 2
    manifest = json.loads((small_backup / "manifest.json").read_text())
    assert set(manifest["files"]) == {"evidence/a.jpg", "evidence/sub/b.jpg"}
    assert manifest["started_at"] and manifest["database"]["sha256"] == sha256(
        small_backup / manifest["database"]["file"]
    )


def test_it_refuses_a_directory_that_is_not_a_backup(transactional_db, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CommandError, match="不是创文备份目录"):
        call_command("restore", str(tmp_path), interactive=False)
    (tmp_path / "manifest.json").write_text('{"format": "something-else"}')
    with pytest.raises(CommandError, match="不是创文备份目录"):
        call_command("restore", str(tmp_path), interactive=False)


def test_it_refuses_to_back_up_into_a_directory_that_is_not_empty(transactional_db, tmp_path):
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(CommandError, match="空目录"):
        call_command("backup", str(tmp_path))
    assert (tmp_path / "old.txt").read_text() == "keep me"


def test_it_refuses_a_damaged_backup_and_changes_nothing(small_backup, settings):
    (small_backup / "media" / "evidence" / "a.jpg").write_bytes(b"tampered")
    record(None, "after_backup")
    with pytest.raises(CommandError, match=r"evidence/a\.jpg 的校验值不符"):
        call_command("restore", str(small_backup), interactive=False)
    assert AuditEntry.objects.filter(action="after_backup").exists()
    assert (Path(settings.MEDIA_ROOT) / "evidence" / "a.jpg").read_bytes() == b"a" * 100


def test_it_refuses_a_manifest_that_points_outside_the_media_folder(small_backup):
    path = small_backup / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"]["../../escape.txt"] = "0" * 64
    path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="路径不合法"):
        call_command("restore", str(small_backup), interactive=False)


def test_it_says_clearly_when_pg_dump_is_missing(monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="找不到 pg_dump"):
        backup._pg_tool("pg_dump")
