"""Prepare a fresh var dir for a server run: migrate, then one inspector with an API token on a team of a
round in progress with one drawn site. Prints {"token", "round_id", "site_id"} as JSON on the last line.

Run with CHUANGWEN_VAR_DIR pointing at the folder (the ingest benchmark and the SIGKILL test do):
    CHUANGWEN_VAR_DIR=/tmp/x .venv/bin/python bench/ingest/seed.py
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")


def seed() -> dict[str, object]:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from chuangwen.accounts.models import User
    from chuangwen.accounts.services import issue_token
    from chuangwen.org.models import Unit, UnitKind
    from chuangwen.rounds.models import Round, RoundKind, RoundSite, RoundStatus, Team
    from chuangwen.sites.models import Site
    from chuangwen.standards.models import Standard

    district = Unit.objects.create(code="BD01", name="压测区", kind=UnitKind.DISTRICT)
    user = User.objects.create(
        username="bench_inspector", role="inspector", unit=district, full_name="压测员"
    )
    standard = Standard.objects.create(code="BENCH", name="压测标准")
    site = Site.objects.create(
        code="BP0001", name="压测大道", site_type="ZD", lng=120.02, lat=30.05,
        area_unit=district, responsible_unit=district,
    )  # fmt: skip
    round_ = Round.objects.create(
        name="压测批次", kind=RoundKind.UNANNOUNCED, standard=standard, owner_unit=district,
        target_unit=district, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
        status=RoundStatus.IN_PROGRESS, created_by=user,
    )  # fmt: skip
    team = Team.objects.create(round=round_, name="第1组")
    team.members.add(user)
    RoundSite.objects.create(round=round_, site=site, draw_order=1, team=team)
    return {"token": issue_token(user, "bench"), "round_id": round_.pk, "site_id": site.pk}


if __name__ == "__main__":
    print(json.dumps(seed()))
