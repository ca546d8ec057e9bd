"""The 台账 export of a district year: wall time, MB/s and the exporting process's peak memory.

    .venv/bin/python bench/ledger.py                          # 20 000 files of 256 KB (≈ 5 GB): a district
    .venv/bin/python bench/ledger.py --files 2000 --size 256  # a tenth: compare the peak RSS with the above
    .venv/bin/python bench/ledger.py --keep                   # leave the var dir (files, database, archive)

It makes a fresh var dir (SQLite, files under its media folder): a district with 12 streets and 40
departments, an indicator tree of 8 projects × 4 contents × 10 online indicators with a task each, and the
given number of passed materials (PDF 50 %, JPEG 30 %, DOCX 10 %, XLSX 10 %; incompressible bytes of the given
size, each file distinct, written under its SHA-256 as uploads are; one in twenty a written 情况说明 without a
file), each with its unit head's approval and the 网申组's pass. Then a separate process (so that its peak RSS
is the export's alone) runs ``build_ledger`` as the worker does. The files were just written, so they are read
from the page cache: the figure is the export's own cost, not the disk's.

Target: peak RSS flat in the archive's size (the same at 2 000 and 20 000 files); a district year in minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")

MB = 1024 * 1024
BATCH = 2000
KINDS = (("pdf", 50), ("jpeg", 30), ("docx", 10), ("xlsx", 10))
MAGIC = {"pdf": b"%PDF-1.7\n", "jpeg": b"\xff\xd8\xff\xe0", "docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04"}
TITLES = (
    "宣传活动记录",
    "工作方案",
    "会议纪要",
    "现场照片",
    "统计台账",
    "整改情况",
    "志愿服务记录",
    "培训签到表",
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KB


def _world() -> dict[str, Any]:
    """Units, users, the indicator tree, the period and its tasks."""
    from chuangwen.accounts.models import User
    from chuangwen.materials.models import Period, Task
    from chuangwen.org.models import Unit, UnitKind
    from chuangwen.standards.models import Indicator, IndicatorContent, IndicatorProject, Standard

    district = Unit.objects.create(code="D01", name="文明区", kind=UnitKind.DISTRICT)
    units = [
        Unit.objects.create(code=f"S{i:02d}", name=f"第{i}街道", kind=UnitKind.STREET, parent=district)
        for i in range(1, 13)
    ]
    units += [
        Unit.objects.create(code=f"B{i:02d}", name=f"区第{i}局", kind=UnitKind.DEPARTMENT, parent=district)
        for i in range(1, 41)
    ]
    coordinator = User.objects.create(username="coord", role="coordinator", unit=district, full_name="网申组")
    heads = {
        u.pk: User.objects.create(
            username=f"head{u.pk}", role="unit_head", unit=u, full_name=f"{u.name}负责人"
        )
        for u in units
    }
    standard = Standard.objects.create(code="B", version=1, name="基准测试体系")
    tasks = []
    period = Period.objects.create(
        name="2026 年度网上申报", standard=standard, owner_unit=district, reference_date=date(2026, 12, 31)
    )
    for p in range(1, 9):
        project = IndicatorProject.objects.create(
            standard=standard, code=f"{p:02d}", name=f"测评项目{p}", sort_order=p
        )
        for c in range(1, 5):
            content = IndicatorContent.objects.create(
                project=project, code=f"{p:02d}-{c:02d}", name=f"内容{c}"
            )
            for i in range(1, 11):
                indicator = Indicator.objects.create(
                    content=content,
                    code=f"{p:02d}-{c:02d}-{i:02d}",
                    methods=["online"],
                    sort_order=i,
                    text=f"测评标准 {p}-{c}-{i}：建立健全工作机制，定期开展活动，有记录、有成效",
                )
                lead = units[(p * 40 + c * 10 + i) % len(units)]
                tasks.append(
                    Task.objects.create(
                        period=period, indicator=indicator, lead_unit=lead, due_date=date(2026, 12, 15)
                    )
                )
    return {"period": period, "tasks": tasks, "units": units, "coordinator": coordinator, "heads": heads}


def _write_file(root: Path, rng: random.Random, kind: str, size: int) -> tuple[str, str, int]:
    from chuangwen.materials.storage import file_name

    data = MAGIC[kind] + rng.randbytes(size - len(MAGIC[kind]))
    sha256 = hashlib.sha256(data).hexdigest()
    name = file_name(sha256, kind)  # type: ignore[arg-type]
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha256, name, len(data)


def _materials(world: dict[str, Any], files: int, size: int, seed: int) -> int:
    """``files`` passed materials in batches (memory stays flat while they are made); the bytes written."""
    from django.conf import settings

    from chuangwen.materials.models import Material, MaterialEvent, StoredFile

    rng, root, written = random.Random(seed), Path(settings.MEDIA_ROOT), 0
    kinds = [kind for kind, share in KINDS for _ in range(share)]
    for start in range(0, files, BATCH):
        rows, stored = [], []
        for n in range(start, min(start + BATCH, files)):
            task, unit = rng.choice(world["tasks"]), rng.choice(world["units"])
            day = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
            title = f"{rng.choice(TITLES)}（{n + 1}）"
            if n % 20 == 19:
                rows.append(
                    Material(
                        task=task,
                        unit=unit,
                        kind="account",
                        title=title,
                        activity_date=day,
                        body="本年度共开展活动 12 次。\n" * 20,
                        state="passed",
                    )
                )
                continue
            kind = rng.choice(kinds)
            sha256, name, length = _write_file(root, rng, kind, size)
            written += length
            stored.append(StoredFile(sha256=sha256, kind=kind, size=length, file=name))
            rows.append(
                Material(
                    task=task, unit=unit, kind="document", title=title, activity_date=day, state="passed"
                )
            )
        StoredFile.objects.bulk_create(stored)
        ids = StoredFile.objects.in_bulk([s.sha256 for s in stored], field_name="sha256")
        for row, file in zip((r for r in rows if r.kind != "account"), stored, strict=True):
            row.file = ids[file.sha256]
        made = Material.objects.bulk_create(rows)
        events = []
        for material in made:
            events.append(
                MaterialEvent(
                    material=material,
                    action="approve",
                    from_state="submitted",
                    to_state="unit_approved",
                    actor=world["heads"][material.unit_id],
                )
            )
            events.append(
                MaterialEvent(
                    material=material,
                    action="pass",
                    from_state="unit_approved",
                    to_state="passed",
                    actor=world["coordinator"],
                )
            )
        MaterialEvent.objects.bulk_create(events)
        print(f"  {min(start + BATCH, files)} / {files} materials", flush=True)
    return written


def generate(files: int, size_kb: int, seed: int) -> int:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    world = _world()
    return _materials(world, files, size_kb * 1024, seed)


def export() -> None:
    """Run in its own process: one export of the period, its figures as JSON on the last line."""
    from chuangwen.core.pdf import weasyprint
    from chuangwen.materials.ledger import build_ledger
    from chuangwen.materials.models import LedgerExport, Period

    weasyprint()  # loaded before the baseline: the library's own size is not the archive's
    period = Period.objects.get()
    job = LedgerExport.objects.create(period=period, requested_by=None)
    before = peak_rss_mb()
    started = time.perf_counter()
    build_ledger(job)
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "state": job.state,
                "error": job.error,
                "files": job.done,
                "bytes": job.size,
                "file": job.file,
                "wall": wall,
                "rss_before": before,
                "rss_peak": peak_rss_mb(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=256, help="KB per file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_only:
        import django

        django.setup()
        export()
        return
    var_dir = tempfile.mkdtemp(prefix="cw-bench-ledger-")
    env = {**os.environ, "CHUANGWEN_VAR_DIR": var_dir, "MEDIA_ROOT": str(Path(var_dir) / "media")}
    os.environ.update(env)
    import django

    django.setup()
    started = time.perf_counter()
    written = generate(args.files, args.size, args.seed)
    print(f"generated {args.files} materials, {written / MB:.0f} MB in {time.perf_counter() - started:.0f} s")
    child = subprocess.run(
        [sys.executable, __file__, "--export-only"], env=env, capture_output=True, text=True
    )
    if child.returncode != 0:
        sys.exit(child.stderr)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    if result["state"] != "done":
        sys.exit(f"export {result['state']}: {result['error']}")
    with zipfile.ZipFile(Path(var_dir) / "media" / result["file"]) as archive:
        entries = len(archive.infolist())
    print(f"archive: {result['files']} materials, {entries} entries, {result['bytes'] / MB:.0f} MB")
    print(f"wall {result['wall']:.1f} s, {result['bytes'] / MB / result['wall']:.0f} MB/s")
    print(
        f"exporting process: peak RSS {result['rss_peak']:.0f} MB (after setup {result['rss_before']:.0f} MB)"
    )
    print("target: peak RSS flat in the archive's size (2 000 vs 20 000 files); a district year in minutes")
    if args.keep:
        print(f"var dir kept: {var_dir}")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
