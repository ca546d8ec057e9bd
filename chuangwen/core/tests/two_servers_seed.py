"""Seed the shared database of the two-server test (``test_two_servers.py``): run as a script with the
servers' environment (PostgreSQL, Redis, S3): migrates the empty database first.

A district with a boundary (citizen reports are placed in it), an inspector on a round in progress (photo
uploads), a street handler and a verifier with API tokens, and cases brought through the real state machine
(``cases.services.apply``): some ``dispatched`` (to be accepted), some ``rectified`` (to be verified). Prints
one JSON object on its last line: tokens, round and site ids, and each case's id, state and version.

    CHUANGWEN_VAR_DIR=… DATABASE_URL=… STORAGE_BACKEND=s3 … python chuangwen/core/tests/two_servers_seed.py N
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")

DISTRICT_POLY = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.1], [120.0, 30.0]]],
}


def _jpeg(seed: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (seed * 37 % 256, seed * 91 % 256, 120)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def seed(cases_per_group: int) -> dict[str, object]:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    from chuangwen.accounts.models import User
    from chuangwen.accounts.services import issue_token
    from chuangwen.cases import services as cases
    from chuangwen.cases.models import Case, CaseEvent, CaseSource
    from chuangwen.evidence.models import Evidence, EvidenceKind
    from chuangwen.evidence.storage import store_original
    from chuangwen.org.models import Unit, UnitKind
    from chuangwen.reports.models import ReportCategory
    from chuangwen.rounds.models import Round, RoundKind, RoundSite, RoundStatus, Team
    from chuangwen.sites.models import Site
    from chuangwen.standards.models import Standard

    district = Unit.objects.create(code="TW01", name="双机区", kind=UnitKind.DISTRICT, boundary=DISTRICT_POLY)
    street = Unit.objects.create(
        code="TW01S01", name="双机街道", kind=UnitKind.STREET, parent=district, boundary=DISTRICT_POLY
    )

    def user(name: str, role: str, unit: Unit) -> User:
        return User.objects.create(username=name, role=role, unit=unit, full_name=name)

    inspector = user("tw_inspector", "inspector", district)
    coordinator = user("tw_coordinator", "coordinator", district)
    handler = user("tw_handler", "handler", street)
    verifier = user("tw_verifier", "verifier", district)
    standard = Standard.objects.create(code="TWO", name="双机标准")
    site = Site.objects.create(
        code="TW0001", name="双机大道", site_type="ZD", lng=120.02, lat=30.05,
        area_unit=street, responsible_unit=street,
    )  # fmt: skip
    round_ = Round.objects.create(
        name="双机批次", kind=RoundKind.UNANNOUNCED, standard=standard, owner_unit=district,
        target_unit=district, period_start=date(2020, 1, 1), period_end=date(2040, 12, 31),
        status=RoundStatus.IN_PROGRESS, created_by=coordinator,
    )  # fmt: skip
    team = Team.objects.create(round=round_, name="第1组")
    team.members.add(inspector)
    RoundSite.objects.create(round=round_, site=site, draw_order=1, team=team)

    def opened(title: str) -> Case:
        case = cases.open_case(
            CaseSource.CITIZEN, coordinator, title=title, area_unit=street, lng=120.02, lat=30.05
        )
        return cases.apply(case, "triage_accept", coordinator, unit=street)

    groups: dict[str, list[dict[str, object]]] = {}
    for group in ("same_accept", "accept_or_return", "pass_or_fail", "same_fail"):
        rows = []
        for i in range(cases_per_group):
            case = opened(f"{group} {i}")
            if group in ("pass_or_fail", "same_fail"):
                case = cases.apply(case, "accept", handler)
                data = _jpeg(len(groups) * 100 + i)
                sha = hashlib.sha256(data).hexdigest()
                photo = Evidence.objects.create(
                    client_id=uuid.uuid4(), kind=EvidenceKind.RECTIFICATION, sha256=sha,
                    file=store_original(data, sha), uploader=handler, width=320, height=240,
                    size_bytes=len(data),
                )  # fmt: skip
                case = cases.apply(case, "rectify", handler, reason="已清理", photos=[photo])
            rows.append({"id": case.pk, "state": case.state, "version": case.version})
        groups[group] = rows
    category = ReportCategory.objects.filter(active=True).order_by("pk").first()
    assert category is not None, "the migrations seed the report categories"
    return {
        "inspector": issue_token(inspector, "two-servers"),
        "handler": issue_token(handler, "two-servers"),
        "verifier": issue_token(verifier, "two-servers"),
        "round_id": round_.pk,
        "site_id": site.pk,
        "category": category.code,
        "cases": groups,
        "last_event": CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first(),
        "seeded_photos": [str(c) for c in Evidence.objects.values_list("client_id", flat=True)],
    }


if __name__ == "__main__":
    print(json.dumps(seed(int(sys.argv[1]) if len(sys.argv) > 1 else 6)))
