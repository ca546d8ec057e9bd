"""通报 documents: ``documents.render_all`` (.docx + PDF + .xlsx) of a district monthly bulletin with 20
typical-problem photos, on one core.

    .venv/bin/python bench/bulletins.py                   # 20 photos of 4000×3000 (12 MP), 3 timed runs
    .venv/bin/python bench/bulletins.py --size 1600x1200  # phone-size photos
    .venv/bin/python bench/bulletins.py --photos 40 --repeat 5

A fresh SQLite var dir (migrated); a district with 12 streets, its coordinator and the office's templates
(``services.ensure_templates``); ``--photos`` photo-like JPEG originals (smooth colour fields with grain,
as ``bench/derivatives.py`` makes them) taken in through the evidence pipeline
(``evidence.services.ingest_photo``: checked, re-encoded, stored durably); a monthly bulletin whose
snapshot is a district month: the overview, the 12 streets' ranking with red and black lists, one typical
problem per photo, 40 限期整改 cases, 15 look-back entries, talks and commendations. The process is pinned
to one CPU (``sched_setaffinity``; OpenCV and BLAS with one thread).

It times ``render_all`` once cold — the public copies (faces and plates blurred, ``ensure_public_file``) are
made then, as at a bulletin's first render — and ``--repeat`` times warm (copies exist, as for a re-render
after an edit), with the share of each file. Target: ≤ 10 s.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chuangwen.core.serverproc import isolated_env  # noqa: E402

STREETS = ["西湖", "东城", "南山", "北湖", "中心", "江滨", "望江", "城北", "高新", "文苑", "清河", "松林"]


def one_core() -> None:
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def original(seed: int, size: tuple[int, int]) -> bytes:
    """A photo-like JPEG (quality 85): smooth colour fields with grain (as bench/derivatives.py)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    width, height = size
    coarse = rng.uniform(0, 255, (12, 16, 3)).astype("uint8")
    im = Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC)
    grain = rng.normal(0, 6, (height, width, 3))
    im = Image.fromarray(np.clip(np.asarray(im, dtype=np.float32) + grain, 0, 255).astype("uint8"))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def world(photos: int, size: tuple[int, int]) -> Any:
    """The district, its office, the photos (through the ingest pipeline) and the bulletin."""
    from django.utils import timezone

    from chuangwen.accounts.models import User
    from chuangwen.bulletins.models import Bulletin, BulletinKind, BulletinTemplate
    from chuangwen.bulletins.services import ensure_templates
    from chuangwen.evidence.models import EvidenceKind
    from chuangwen.evidence.services import PhotoMeta, ingest_photo
    from chuangwen.org.models import Unit, UnitKind

    district = Unit.objects.create(code="D01", name="文明区", kind=UnitKind.DISTRICT)
    streets = [
        Unit.objects.create(code=f"S{i:02}", name=f"{name}街道", kind=UnitKind.STREET, parent=district)
        for i, name in enumerate(STREETS, start=1)
    ]
    user = User.objects.create(username="coord", role="coordinator", unit=district, full_name="王协调")
    ensure_templates(district)
    template = BulletinTemplate.objects.get(owner_unit=district, kind=BulletinKind.MONTHLY)
    started = time.perf_counter()
    ids = []
    for seed in range(photos):
        meta = PhotoMeta(
            client_id=uuid.uuid4(),
            kind=EvidenceKind.RECTIFICATION,
            captured_at=timezone.now(),
            lat=30.25,
            lng=120.15,
            accuracy=8.0,
        )
        evidence, _created = ingest_photo(original(seed, size), meta, user)
        ids.append(evidence.pk)
    print(f"ingested {photos} photos of {size[0]}×{size[1]} in {time.perf_counter() - started:.1f} s")
    today = timezone.localdate()
    bulletin = Bulletin.objects.create(
        template=template,
        owner_unit=district,
        kind=BulletinKind.MONTHLY,
        title="关于2026年3月月度排名通报的通报",
        year=today.year,
        number=3,
        number_prefix=template.number_prefix,
        addressees=template.addressees,
        issuer=template.issuer,
        sections=list(template.sections),
        wording=dict(template.wording),
        period_start=today.replace(day=1),
        period_end=today,
        content=snapshot(streets, ids, today),
        created_by=user,
    )
    return bulletin


def snapshot(streets: list[Any], photo_ids: list[int], today: date) -> dict[str, Any]:
    """A district month as ``content.build`` writes it."""
    ranking = [
        {
            "rank": i,
            "unit_id": unit.pk,
            "unit_name": unit.name,
            "composite": f"{96 - i * 1.7:.2f}",
            "composite_change": f"{(-1) ** i * 0.8:.2f}",
            "rank_change": (-1) ** i,
            "onsite": f"{95 - i:.2f}",
            "rectification": f"{90 - i:.2f}",
            "materials": f"{88 - i / 2:.2f}",
            "survey": f"{86 - i / 3:.2f}",
            "visits": 20 + i,
            "cases": 30 + 2 * i,
        }
        for i, unit in enumerate(streets, start=1)
    ]
    unit = {u.pk: u.name for u in streets}
    keys = list(unit)
    day = today.isoformat()
    typical = [
        {
            "finding_id": n,
            "site": f"第{n}号点位（主干道）",
            "site_type": "主次干道",
            "unit_id": keys[n % 12],
            "unit_name": unit[keys[n % 12]],
            "item_code": f"ZD-0{n % 8 + 1}",
            "item": "无乱扔垃圾、随地吐痰、车窗抛物",
            "count": n % 5 + 1,
            "deduction": f"{n % 5 + 1}.00",
            "visited": day,
            "caption": "路面破损、垃圾堆积未及时清理",
            "photos": [pk],
        }
        for n, pk in enumerate(photo_ids, start=1)
    ]
    deadline = [
        {
            "code": f"AJ2026{n:05}",
            "title": f"第{n}号点位 占道经营",
            "unit_id": keys[n % 12],
            "unit_name": unit[keys[n % 12]],
            "deadline": (today + timedelta(days=n % 10)).isoformat(),
            "state": "整改中",
        }
        for n in range(1, 41)
    ]
    reasons = ["rework", "false_rectification", "flagged_photo", "recurrence"]
    lookback = [{**deadline[n], "reason": reasons[n % 4], "at": day} for n in range(15)]
    return {
        "as_of": f"{day}T10:00:00+08:00",
        "period": [today.replace(day=1).isoformat(), day],
        "thresholds": {"red": "90.00", "black": "80.00"},
        "overview": {
            "visits": 300,
            "sites": 260,
            "conforming": 2800,
            "applicable": 3100,
            "score_rate": "90.3",
            "previous_score_rate": "88.9",
            "change": "1.4",
            "findings": 300,
            "problems": 720,
        },
        "ranking_title": "2026年3月 街道综合指数排名",
        "ranking": ranking,
        "red": ranking[:3],
        "black": sorted(ranking[-3:], key=lambda r: r["composite"]),
        "typical": typical,
        "deadline": deadline,
        "lookback": lookback,
        "talks": [
            {
                "id": 1,
                "unit_id": keys[-1],
                "unit_name": unit[keys[-1]],
                "kind": "talk",
                "kind_label": "约谈",
                "reason": "连续两月排名末位",
                "meeting_date": day,
                "follow_up_due": day,
            }
        ],
        "commendations": [
            {
                "id": 1,
                "unit_id": keys[0],
                "unit_name": unit[keys[0]],
                "title": "先进单位",
                "reason": "整改及时",
                "date": day,
            }
        ],
    }


def timed(bulletin: Any) -> tuple[float, dict[str, float], dict[str, int]]:
    """render_all's wall time, the seconds between its progress calls, and the files' sizes."""
    from chuangwen.bulletins import documents

    marks: list[tuple[int, float]] = []
    started = time.perf_counter()
    files = documents.render_all(bulletin, lambda p: marks.append((p, time.perf_counter())))
    total = time.perf_counter() - started
    steps = {}
    previous = started
    for percent, at in marks:
        steps[str(percent)] = at - previous
        previous = at
    return total, steps, {k: len(v) for k, v in files.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="cw-bench-bulletins-"))
    one_core()
    os.environ.update(isolated_env(var_dir))
    import django

    django.setup()
    import cv2
    from django.core.management import call_command

    cv2.setNumThreads(1)
    call_command("migrate", verbosity=0)
    try:
        bulletin = world(args.photos, size)  # type: ignore[arg-type]
        cold, steps, sizes = timed(bulletin)
        labels = {"5": "start", "25": "public copies", "50": ".docx", "90": "PDF", "100": ".xlsx"}
        detail = ", ".join(f"{labels.get(k, k)} {v:.2f} s" for k, v in steps.items())
        print(f"cold (public copies made): {cold:.2f} s — {detail}")
        warm = []
        for _ in range(args.repeat):
            total, steps, sizes = timed(bulletin)
            warm.append(total)
            detail = ", ".join(f"{labels.get(k, k)} {v:.2f} s" for k, v in steps.items())
            print(f"warm: {total:.2f} s — {detail}")
        print(f"warm min / median / max: {min(warm):.2f} / {statistics.median(warm):.2f} / {max(warm):.2f} s")
        print("files: " + ", ".join(f"{k} {v / 1024 / 1024:.1f} MB" for k, v in sizes.items()))
        print("target: ≤ 10 s on one core")
    finally:
        if not args.keep and args.var_dir is None:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
