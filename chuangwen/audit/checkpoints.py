"""External checkpoints (外部锚点) of the audit chain: the head's (seq, hash) written outside the database.

Every ten minutes (and on ``chuangwen audit anchor``) the chain since the previous checkpoint is checked
and its newest entry is appended as one JSON line, signed with the audit key, to ``AUDIT_ANCHOR_FILE``:
opened with O_APPEND, written in one call, fsynced. ``audit verify`` then compares every line with the
database, so even someone holding the key cannot rewrite an entry that a checkpoint has already seen, nor cut
the chain's tail off behind one. Checkpoints never take the database's write lock: they only read, outside
any transaction.

A restore from backup rolls the database back behind the newest checkpoints; ``note_restore`` then appends a
signed ``restore`` line naming the restore's own audit entry, and checkpoints before it that name later
entries are reported as replaced by the restore rather than as tampering.

Not to be confused with ``AuditAnchor``, the in-database anchor where the chain starts after pruning.
"""

from __future__ import annotations

import fcntl
import hmac
import itertools
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.digests import keys, sign_checkpoint, signing_key
from chuangwen.audit.models import AuditEntry
from chuangwen.audit.services import ChainReport, chain_start, walk

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint"
RESTORE = "restore"
RESTORE_ACTION = "restore"  # the audit entry ``core.backup.restore_backup`` writes
TAIL_BYTES = 8192  # far more than one line: enough to find the last one without reading the whole file


class CheckpointRefused(Exception):
    """No checkpoint was written: the chain is broken, or the file cannot be trusted; the message says why."""


class CheckpointProblem(Exception):
    """A line of the checkpoint file is unreadable, unsigned or forged."""

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


@dataclass(frozen=True)
class Checkpoint:
    kind: str
    seq: int
    hash: str
    at: str
    key_id: str
    mac: str = ""
    line: int = 0

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "hash": self.hash, "at": self.at, "key_id": self.key_id}

    def summary(self) -> str:
        return _("审计链锚点 #%(seq)s %(hash)s") % {"seq": self.seq, "hash": self.hash[:12]}


def checkpoint_path() -> Path | None:
    value = settings.AUDIT_ANCHOR_FILE
    return Path(value) if value else None


def _signed(kind: str, seq: int, digest: str, now: datetime) -> Checkpoint:
    key_id, key = signing_key()
    unsigned = Checkpoint(kind, seq, digest, timezone.localtime(now).isoformat(), key_id)
    return Checkpoint(**{**asdict(unsigned), "mac": sign_checkpoint(unsigned.payload(), key)})


@contextmanager
def _appending(path: Path) -> Iterator[int]:
    """An O_APPEND descriptor, locked so that the worker and a command never interleave their lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def _append(fd: int, checkpoint: Checkpoint) -> None:
    record = {**checkpoint.payload(), "mac": checkpoint.mac}
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    os.write(fd, line.encode())  # one write: O_APPEND puts the whole line at the end of the file
    os.fsync(fd)


def parse_line(raw: bytes, number: int, known: dict[str, str]) -> Checkpoint:
    """One line, its signature checked; ``number`` is its line number (0: the last line)."""
    where = _("第 %(n)s 行") % {"n": number} if number else _("最后一行")
    try:
        data = json.loads(raw)
        checkpoint = Checkpoint(
            **{name: data[name] for name in ("kind", "seq", "hash", "at", "key_id", "mac")}
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointProblem(_("外部锚点文件%(where)s无法解析") % {"where": where}) from exc
    if checkpoint.kind not in (CHECKPOINT, RESTORE) or not isinstance(checkpoint.seq, int):
        raise CheckpointProblem(_("外部锚点文件%(where)s无法解析") % {"where": where})
    key = known.get(str(checkpoint.key_id))
    if key is None:
        message = _("外部锚点文件%(where)s的签名密钥 %(key)s 未配置（AUDIT_HMAC_KEY）")
        raise CheckpointProblem(message % {"where": where, "key": checkpoint.key_id}, checkpoint.seq)
    if not hmac.compare_digest(sign_checkpoint(checkpoint.payload(), key), str(checkpoint.mac)):
        message = _("外部锚点文件%(where)s（#%(seq)s）的签名不符：该锚点被改动过")
        raise CheckpointProblem(message % {"where": where, "seq": checkpoint.seq}, checkpoint.seq)
    return Checkpoint(**{**asdict(checkpoint), "line": number})


def read_checkpoints(path: Path) -> list[Checkpoint]:
    known = keys()
    with path.open("rb") as handle:
        return [parse_line(raw, n, known) for n, raw in enumerate(handle, start=1) if raw.strip()]


def last_checkpoint(path: Path) -> Checkpoint | None:
    """The newest line, signature checked, read from the end of the file (it grows for years)."""
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - TAIL_BYTES))
        lines = [raw for raw in handle.read().split(b"\n") if raw.strip()]
    return parse_line(lines[-1], 0, keys()) if lines else None


def _start_after(last: Checkpoint | None) -> tuple[int, str]:
    """Where the check before a new checkpoint starts: the previous checkpoint, if its entry still matches."""
    pruned_seq, pruned_hash = chain_start()
    if last is None or last.seq <= pruned_seq:
        return pruned_seq, pruned_hash
    stored = AuditEntry.objects.filter(seq=last.seq).values_list("hash", flat=True).first()
    if stored is None:
        raise CheckpointRefused(
            _("第 %(seq)s 条起的审计记录已被删除（外部锚点记录过该条）") % {"seq": last.seq}
        )
    if stored != last.hash:
        raise CheckpointRefused(_("第 %(seq)s 条审计记录与外部锚点不符，已被改写") % {"seq": last.seq})
    return last.seq, last.hash


def write_checkpoint(now: datetime | None = None) -> Checkpoint | None:
    """Check the entries since the previous checkpoint and append the newest; None when nothing is new."""
    path = checkpoint_path()
    if path is None:
        raise CheckpointRefused(_("未配置外部锚点文件（AUDIT_ANCHOR_FILE）"))
    with _appending(path) as fd:
        try:
            last = last_checkpoint(path)
        except CheckpointProblem as exc:
            raise CheckpointRefused(str(exc)) from exc
        report, seq, digest = walk(*_start_after(last))
        if not report.ok:
            raise CheckpointRefused(_("审计链已被破坏，未写入外部锚点：%(p)s") % {"p": report.problem})
        if seq == 0 or (last is not None and seq <= last.seq):
            return None
        checkpoint = _signed(CHECKPOINT, seq, digest, now or timezone.now())
        _append(fd, checkpoint)
    return checkpoint


def note_restore(entry: AuditEntry) -> None:
    """After a restore (``entry`` is its audit entry): say so in the checkpoint file, if there is one."""
    path = checkpoint_path()
    if path is None or not path.is_file() or path.stat().st_size == 0:
        return  # nothing was checkpointed, so nothing was rolled back behind a checkpoint
    try:
        with _appending(path) as fd:
            _append(fd, _signed(RESTORE, entry.seq, entry.hash, timezone.now()))
    except OSError:
        # The restore itself succeeded; `audit verify` will report the checkpoints it rolled back.
        logger.exception("could not note the restore in the audit checkpoint file %s", path)


# --- comparing the file with the database (part of ``audit verify``) --------------------------------------


def _check_order(lines: list[Checkpoint]) -> None:
    """Checkpoints only move forward; a restore line may go back (that is what a restore does)."""
    for previous, current in itertools.pairwise(lines):
        if current.kind == CHECKPOINT and current.seq <= previous.seq:
            message = _("外部锚点文件第 %(line)s 行的 #%(seq)s 不大于上一行的 #%(prev)s：锚点的顺序被改动过")
            raise CheckpointProblem(
                message % {"line": current.line, "seq": current.seq, "prev": previous.seq}, current.seq
            )


def _live(lines: list[Checkpoint], report: ChainReport) -> list[Checkpoint]:
    """Drop the checkpoints a later restore rolled back (they name entries the restore replaced)."""
    live: list[Checkpoint] = []
    floor: int | None = None
    for checkpoint in reversed(lines):
        if floor is not None and checkpoint.seq >= floor:
            continue
        live.append(checkpoint)
        if checkpoint.kind == RESTORE:
            floor = checkpoint.seq
    replaced = len(lines) - len(live)
    if replaced:
        restores = "、".join(str(c.line) for c in lines if c.kind == RESTORE)
        message = _(
            "外部锚点文件中 %(n)s 个锚点记录的是从备份恢复前的记录，已被恢复（第 %(lines)s 行）取代，未再核对"
        )
        report.notes.append(message % {"n": replaced, "lines": restores})
    live.reverse()
    return live


def _mismatch(checkpoint: Checkpoint, stored: tuple[str, str] | None, last_seq: int, since: int) -> str:
    """What is wrong between one checkpoint and the database, or ""."""
    seq, line = checkpoint.seq, checkpoint.line
    if stored is None and seq > last_seq:
        message = _(
            "审计链末尾的记录已被删除：外部锚点（第 %(line)s 行）记录过第 %(seq)s 条，"
            "数据库中只到第 %(last)s 条"
        )
        return message % {"line": line, "seq": seq, "last": last_seq}
    if stored is None:
        return _("第 %(seq)s 条审计记录已被删除（外部锚点第 %(line)s 行记录过它）") % {
            "seq": seq,
            "line": line,
        }
    if stored[0] != checkpoint.hash:
        message = _(
            "第 %(seq)s 条审计记录与外部锚点（第 %(line)s 行）不符："
            "第 %(first)s 至 %(seq)s 条之间有记录被改写"
        )
        return message % {"seq": seq, "line": line, "first": since + 1}
    if checkpoint.kind == RESTORE and stored[1] != RESTORE_ACTION:
        return _("外部锚点文件第 %(line)s 行的恢复记录 #%(seq)s 在审计链中不是一次恢复") % {
            "line": line,
            "seq": seq,
        }
    return ""


def _stored(seqs: list[int]) -> dict[int, tuple[str, str]]:
    rows: dict[int, tuple[str, str]] = {}
    for start in range(0, len(seqs), 500):
        chunk = AuditEntry.objects.filter(seq__in=seqs[start : start + 500])
        rows.update(
            (seq, (digest, action)) for seq, digest, action in chunk.values_list("seq", "hash", "action")
        )
    return rows


def compare_checkpoints(report: ChainReport) -> ChainReport:
    """Every checkpoint must name an entry that is still there with the same hash, in order, signed."""
    path = checkpoint_path()
    if path is None:
        return report
    if not path.is_file():
        report.notes.append(_("未找到外部锚点文件 %(path)s：只校验了数据库中的哈希链") % {"path": path})
        return report
    try:
        lines = read_checkpoints(path)
        _check_order(lines)
    except CheckpointProblem as exc:
        return ChainReport(False, report.checked, exc.seq, str(exc), notes=report.notes)
    pruned_seq, _pruned_hash = chain_start()
    live = _live(lines, report)
    wanted = [c for c in live if c.seq > pruned_seq]
    if len(wanted) < len(live):
        report.notes.append(
            _("%(n)s 个外部锚点所指的记录已按保留期清理，未核对") % {"n": len(live) - len(wanted)}
        )
    stored = _stored([c.seq for c in wanted])
    last_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    since = pruned_seq
    for checkpoint in wanted:
        problem = _mismatch(checkpoint, stored.get(checkpoint.seq), last_seq, since)
        if problem:
            bad = last_seq + 1 if checkpoint.seq > last_seq else checkpoint.seq
            return ChainReport(False, report.checked, bad, problem, len(wanted), report.notes)
        since = checkpoint.seq
    report.checkpoints = len(wanted)
    if wanted:
        report.notes.append(
            _("外部锚点：已核对 %(n)s 个，最新为%(summary)s")
            % {"n": len(wanted), "summary": wanted[-1].summary()}
        )
    return report
