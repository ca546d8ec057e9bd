"""The 网上申报 board at city scale: 300 units × 150 standards with 12 months of materials.

    .venv/bin/python bench/materials_board.py                  # 300 units, 150 standards, 12 materials a cell
    .venv/bin/python bench/materials_board.py --months 2       # fewer materials (the board never reads them)
    .venv/bin/python bench/materials_board.py --keep           # leave the var dir

It makes a fresh var dir (SQLite): a city with 300 street-level units, one indicator tree of 150 online
standards, a period with one task per standard whose lead and supporting units together name every unit (so
45 000 cells, one ``Submission`` each), and ``--months`` materials per cell (written 情况说明 rows, no file:
the board never opens a file) in states drawn at random, each cell's standing as the services keep it.
Then, in this process, it times the board as the coordinator asks for it —
``GET /api/v1/materials/periods/{id}/board`` through Django's test client (the whole request: session,
scoping, the grouped counts, JSON) and the page ``/materials/periods/{id}/board/`` — and
``board.board_rows`` alone, 60 times each after a warm-up.

Target: the board answers within 200 ms p99.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The test settings serve static files without a manifest (the page draws without `collectstatic`).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.test_settings")

BATCH = 5000
STATES = ["passed"] * 6 + ["unit_approved", "submitted", "returned", "draft"]
STANDING = {"passed": "passed", "unit_approved": "awaiting", "submitted": "awaiting"}


def build(units_n: int, standards_n: int, months: int) -> tuple[Any, Any]:
    from django.db import transaction

    from chuangwen.accounts.models import Role, User
    from chuangwen.materials.models import Material, Period, Submission, Task
    from chuangwen.org.models import Unit, UnitKind
    from chuangwen.standards.models import Indicator, IndicatorContent, IndicatorProject, Standard

    rng = random.Random(1)
    with transaction.atomic():
        city = Unit.objects.create(code="C", name="基准市", kind=UnitKind.CITY)
        district = Unit.objects.create(code="D", name="基准区", kind=UnitKind.DISTRICT, parent=city)
        units = [
            Unit.objects.create(code=f"S{i:03d}", name=f"街道{i:03d}", kind=UnitKind.STREET, parent=district)
            for i in range(units_n)
        ]
        coordinator = User.objects.create_user(
            "bench_coord", password="x", role=Role.COORDINATOR, unit=district
        )
        standard = Standard.objects.create(code="B", name="基准测评体系")
        project = IndicatorProject.objects.create(standard=standard, code="01", name="项目")
        content = IndicatorContent.objects.create(project=project, code="01-01", name="内容")
        Indicator.objects.bulk_create(
            Indicator(content=content, code=f"01-01-{i:03d}", text=f"测评标准 {i}", methods=["online"],
                      material_types=["account"], sort_order=i)
            for i in range(standards_n)
        )  # fmt: skip
        period = Period.objects.create(
            name="基准年度网上申报", standard=standard, owner_unit=district, reference_date=date(2026, 12, 31)
        )
        indicators = list(Indicator.objects.filter(content=content).order_by("code"))
        tasks = Task.objects.bulk_create(
            Task(period=period, indicator=ind, lead_unit=units[i % units_n], due_date=date(2026, 11, 2))
            for i, ind in enumerate(indicators)
        )
        through = Task.supporting_units.through
        links = [through(task_id=t.pk, unit_id=u.pk) for t in tasks for u in units if u.pk != t.lead_unit_id]
        through.objects.bulk_create(links, batch_size=BATCH)
    cells: list[Any] = []
    materials: list[Any] = []
    for task in tasks:
        for unit in units:
            states = [rng.choice(STATES) for _ in range(months)]
            standing = (
                "returned" if "returned" in states else "in_progress" if "draft" in states
                else "awaiting" if {"submitted", "unit_approved"} & set(states) else "passed"
            )  # fmt: skip
            cells.append(
                Submission(period=period, task=task, unit=unit, is_lead=unit.pk == task.lead_unit_id,
                           standing=standing, due_date=task.due_date + timedelta(days=rng.randint(-20, 40)),
                           materials=months, submitted_times=months, returned_times=states.count("returned"))
            )  # fmt: skip
            for m, state in enumerate(states):
                materials.append(
                    Material(client_id=uuid.UUID(int=rng.getrandbits(128)), task=task, unit=unit,
                             kind="account", title=f"第{m + 1}月情况说明",
                             activity_date=date(2026, m % 12 + 1, 15),
                             body="……", state=state)
                )  # fmt: skip
        if len(materials) >= 50_000:
            Material.objects.bulk_create(materials, batch_size=BATCH)
            materials.clear()
    Material.objects.bulk_create(materials, batch_size=BATCH)
    Submission.objects.bulk_create(cells, batch_size=BATCH)
    return period, coordinator


def timed(label: str, call: Any, n: int = 60) -> None:
    for _ in range(3):
        call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        f"{label:<40} p50 {statistics.median(samples):6.1f} ms  p99 {p99:6.1f} ms  max {samples[-1]:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--standards", type=int, default=150)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="cw-bench-board-")
    os.environ["CHUANGWEN_VAR_DIR"] = var_dir
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from chuangwen.materials.board import board_rows
    from chuangwen.materials.models import Material, Submission

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        period, coordinator = build(args.units, args.standards, args.months)
        print(
            f"built {Submission.objects.count():,} cells and {Material.objects.count():,} materials "
            f"in {time.perf_counter() - started:.0f} s ({var_dir})"
        )
        client = Client()
        client.force_login(coordinator)
        api = f"/api/v1/materials/periods/{period.pk}/board"
        page = f"/materials/periods/{period.pk}/board/"
        assert client.get(api).status_code == 200 and client.get(page).status_code == 200
        timed("board_rows()", lambda: board_rows(period, coordinator))
        timed(f"GET {api}", lambda: client.get(api))
        timed(f"GET {page}", lambda: client.get(page), n=30)
        print("target: the board answers within 200 ms p99")
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
