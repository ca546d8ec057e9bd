"""Consistent backups of the database and the stored files while the system runs, and their restore.

Why the order is safe: a photo's file is written (and synced) before the row that names it is committed, and
files are never changed afterwards. So the database is snapshotted first and the files copied second: every
row in the snapshot names a file that was complete before the snapshot and is therefore in the copy. Files
that arrive meanwhile are copied too and are merely unreferenced. Restore goes the other way round (files
first, then the database) so that at no moment does a restored row point to a missing file.

A backup directory holds ``manifest.json`` (written last, so a directory without it is not a finished backup),
the database (``db.sqlite3`` or ``db.pgdump``) and ``media/``; the manifest lists the SHA-256 of every file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.utils import timezone

from chuangwen.audit.checkpoints import note_restore
from chuangwen.audit.models import AuditHead
from chuangwen.audit.services import record

FORMAT = "chuangwen-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DB_FILES = {"sqlite": "db.sqlite3", "postgresql": "db.pgdump"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in words for the operator."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_with_digest(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    shutil.copystat(source, target)
    return digest.hexdigest()


def _media_root() -> Path | None:
    """The local folder behind the default file storage, or None when files live in object storage."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def _vendor() -> str:
    if connection.vendor not in DB_FILES:
        raise BackupError(f"不支持备份 {connection.vendor} 数据库")
    return connection.vendor


# --- database ---------------------------------------------------------------------------------------------


def _sqlite_path() -> str:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("内存中的 SQLite 数据库无法备份")
    return name


def _backup_sqlite(target: Path) -> None:
    try:
        _copy_sqlite(_sqlite_path(), target)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 备份失败：{exc}") from exc


def _copy_sqlite(live_path: str, target: Path) -> None:
    source = sqlite3.connect(live_path, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            # One step copies every page under a single read transaction: a consistent snapshot, and in WAL
            # mode the writers carry on meanwhile (a stepwise copy would restart on every write).
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            (check,) = copy.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"备份的数据库未通过完整性检查：{check}")
        finally:
            copy.close()
    finally:
        source.close()


def _restore_sqlite(source: Path) -> None:
    # Our own persistent connection must not keep reading the old database in the middle of the copy.
    connection.close()
    try:
        _copy_back_sqlite(source, _sqlite_path())
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 恢复失败（数据库未改变）：{exc}") from exc


def _copy_back_sqlite(source: Path, live_path: str) -> None:
    backup = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        live = sqlite3.connect(live_path, timeout=60)
        try:
            # The backup API writes into the live file under its write lock, so other connections (the
            # running server) see either the old or the new database, never a half-copied one.
            backup.backup(live)
            live.execute("PRAGMA journal_mode=WAL")
        finally:
            live.close()
    finally:
        backup.close()


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 {name}：请安装与数据库服务器同版本的 PostgreSQL 客户端"
            "（如 apt-get install postgresql-client）"
        )
    return path


def _pg_environment() -> dict[str, str]:
    """Connection parameters through libpq's variables, so the password never appears in a process list."""
    params = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if params.get(key):
            env[variable] = str(params[key])
    options = params.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if options.get(key):
            env[f"PG{key.upper()}"] = str(options[key])
    return env


def _run_pg(command: list[str]) -> None:
    result = subprocess.run(command, env=_pg_environment(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} 失败（退出码 {result.returncode}）：{result.stderr.strip()}")


def _backup_postgres(target: Path) -> None:
    # pg_dump reads everything in one repeatable-read snapshot: consistent while writes go on.
    dbname = str(connection.settings_dict["NAME"])
    _run_pg([_pg_tool("pg_dump"), "--format=custom", f"--file={target}", f"--dbname={dbname}"])


def _restore_postgres(source: Path) -> None:
    connection.close()
    dbname = str(connection.settings_dict["NAME"])
    _run_pg(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            # All or nothing: a failed restore leaves the database as it was.
            "--single-transaction",
            f"--dbname={dbname}",
            str(source),
        ]
    )


# --- files ------------------------------------------------------------------------------------------------


def _copy_media(source_root: Path, target_root: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    if not source_root.is_dir():
        return files
    for folder, _dirs, names in os.walk(source_root):
        for name in names:
            path = Path(folder) / name
            if path.is_symlink():
                continue
            relative = path.relative_to(source_root).as_posix()
            try:
                files[relative] = _copy_with_digest(path, target_root / relative)
            except FileNotFoundError:
                continue  # a file removed while we walked (a temporary upload); no row can point to it
    return dict(sorted(files.items()))


def _safe_relative(relative: str) -> PurePosixPath:
    """A manifest path must stay inside the media folder (a crafted manifest must not write elsewhere)."""
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"备份清单中的文件路径不合法：{relative}")
    return path


def _restore_media(source_root: Path, media_root: Path, files: dict[str, str]) -> None:
    for relative, digest in files.items():
        safe = _safe_relative(relative)
        target = media_root / safe
        if target.is_file() and sha256_file(target) == digest:
            continue  # already there and intact
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copy2(source_root / safe, partial)
        os.replace(partial, target)  # a reader sees the old file or the whole new one


def _write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    partial = directory / f".{MANIFEST}.partial"
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, directory / MANIFEST)


# --- public -----------------------------------------------------------------------------------------------


def make_backup(directory: Path, *, actor_name: str = "") -> dict[str, Any]:
    """Back up the database, then the files, into an empty (or new) directory; return the manifest."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"备份目录必须是空目录或不存在：{directory}")
    vendor = _vendor()
    media_root = _media_root()
    if media_root is not None and directory.resolve().is_relative_to(media_root.resolve()):
        raise BackupError(f"备份目录不能位于文件存储目录 {media_root} 之内")
    directory.mkdir(parents=True, exist_ok=True)
    started = timezone.now()
    head = AuditHead.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0
    db_file = directory / DB_FILES[vendor]
    if vendor == "sqlite":
        _backup_sqlite(db_file)
    else:
        _backup_postgres(db_file)
    files = _copy_media(media_root, directory / MEDIA_DIR) if media_root is not None else {}
    os.sync()  # the copies are on disk before the manifest says the backup is complete
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "started_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "database": {
            "vendor": vendor,
            "file": db_file.name,
            "bytes": db_file.stat().st_size,
            "sha256": sha256_file(db_file),
        },
        "audit_last_seq_before": head,
        "media": "local" if media_root is not None else "external",
        "file_count": len(files),
        "files": files,
    }
    _write_manifest(directory, manifest)
    detail = {"directory": str(directory.resolve()), "vendor": vendor, "file_count": len(files)}
    record(None, "backup", detail=detail, actor_name=actor_name)
    return manifest


def read_manifest(directory: Path) -> dict[str, Any]:
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir() or not path.is_file():
        raise BackupError(f"{directory} 不是创文备份目录（缺少 {MANIFEST}）")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} 已损坏，无法读取：{exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{directory} 不是创文备份目录（{MANIFEST} 格式不符）")
    if manifest.get("version") != VERSION:
        raise BackupError(f"不支持的备份版本：{manifest.get('version')}")
    return manifest


def verify_backup(directory: Path, manifest: dict[str, Any]) -> None:
    """Every file is there with the checksum the manifest recorded; otherwise name the first that is not."""
    database = manifest["database"]
    expected = [(Path(str(database["file"])).name, str(database["sha256"]))]
    expected += [(f"{MEDIA_DIR}/{_safe_relative(rel)}", str(sha)) for rel, sha in manifest["files"].items()]
    for relative, digest in expected:
        path = Path(directory) / relative
        if not path.is_file():
            raise BackupError(f"备份不完整：缺少 {relative}")
        if sha256_file(path) != digest:
            raise BackupError(f"备份已损坏：{relative} 的校验值不符")


def restore_backup(directory: Path, *, actor_name: str = "") -> dict[str, Any]:
    """Check the backup, then bring back the files and the database; return the manifest."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    verify_backup(directory, manifest)
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        source_vendor = manifest["database"]["vendor"]
        raise BackupError(f"备份来自 {source_vendor} 数据库，当前系统使用 {vendor}，无法恢复")
    media_root = _media_root()
    if manifest["files"] and media_root is None:
        raise BackupError("当前文件存储不是本地目录，无法恢复备份中的文件")
    if media_root is not None:
        _restore_media(directory / MEDIA_DIR, media_root, manifest["files"])
    db_file = directory / Path(str(manifest["database"]["file"])).name
    if vendor == "sqlite":
        _restore_sqlite(db_file)
    else:
        _restore_postgres(db_file)
    detail = {
        "directory": str(directory.resolve()),
        "backup_started_at": manifest["started_at"],
        "file_count": manifest["file_count"],
    }
    # The audit checkpoint file is not backed up (rolling it back would defeat it); it is told instead.
    note_restore(record(None, "restore", detail=detail, actor_name=actor_name))
    return manifest
