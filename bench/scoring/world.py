"""The ranking benchmark's world: the city's units and people, the padded standard, the sites and the rounds.

Part of ``bench/scoring/generate.py`` (which puts the repository on ``sys.path`` and runs these in order).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.cases.generate import picker

CITY: dict[str, Any] = {
    "districts": 3,
    "streets": 12,
    "communities": (5, 6),
    "departments": 20,
    "sites": 5000,
}
MONTHS = 12
# Share of the site registry per type (codes of the default standard).
TYPE_MIX = [("ZD", 15), ("BJ", 20), ("NM", 6), ("LJ", 20), ("JK", 10), ("GJ", 10), ("GC", 6), ("GD", 4),
            ("XX", 5), ("GW", 4)]  # fmt: skip


def build_people(top: Any) -> tuple[int, list[int]]:
    from chuangwen.accounts.models import User

    rows = [User(username="bs_coord", role="coordinator", unit=top)]
    rows += [User(username=f"bs_insp_{i:02}", role="inspector", unit=top) for i in range(60)]
    for user in rows:
        user.set_unusable_password()
    User.objects.bulk_create(rows)
    coordinator = User.objects.get(username="bs_coord").pk
    inspectors = list(User.objects.filter(username__startswith="bs_insp_").values_list("pk", flat=True))
    return coordinator, inspectors


def build_standard(items_per_type: int) -> tuple[Any, dict[str, list[tuple[int, Any]]]]:
    """The default standard, each type padded to ``items_per_type`` items; {type code: [(item id, rule)]}."""
    from chuangwen.rounds.scoring import ItemRule
    from chuangwen.standards.models import CheckItem, SiteType
    from chuangwen.standards.services import load_default_standard

    standard = load_default_standard()
    extra = []
    for site_type in SiteType.objects.filter(standard=standard):
        have = site_type.items.count()
        for n in range(have, items_per_type):
            extra.append(
                CheckItem(
                    site_type=site_type, code=f"{site_type.code}-P{n + 1:02}", category="压测补充",
                    text=f"压测补充指标 {n + 1}", mode="binary", deduct=Decimal(1 + n % 3),
                    severity="general", deadline_days=3, duty="城管", sort_order=100 + n,
                )
            )  # fmt: skip
    CheckItem.objects.bulk_create(extra)
    checklists: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    items = CheckItem.objects.filter(site_type__standard=standard).select_related("site_type")
    for item in items.order_by("site_type__sort_order", "sort_order", "code"):
        rule = ItemRule(item.mode, item.deduct, item.cap)
        checklists[item.site_type.code].append((item.pk, rule))
    return standard, dict(checklists)


def build_sites(units: dict[str, Any], n: int, rng: random.Random) -> list[dict[str, Any]]:
    from chuangwen.sites.models import Site

    street_of = {c.pk: c.parent_id for c in units["communities"]}
    district_of = {s.pk: s.parent_id for s in units["streets"]}
    departments_of: dict[int, list[int]] = defaultdict(list)
    for d in units["departments"]:
        departments_of[d.parent_id].append(d.pk)
    street_q = {s.pk: rng.uniform(0.03, 0.11) for s in units["streets"]}
    community_q = {c.pk: rng.uniform(0.7, 1.3) for c in units["communities"]}
    department_q = {d.pk: rng.uniform(0.7, 1.4) for d in units["departments"]}
    type_of = picker(rng, TYPE_MIX)
    rows, quality = [], []
    communities = [c.pk for c in units["communities"]]
    for i in range(n):
        area = rng.choice(communities)
        street = street_of[area]
        p = street_q[street] * community_q[area] * rng.uniform(0.6, 1.4)
        responsible = area
        if rng.random() < 0.3:
            responsible = rng.choice(departments_of[district_of[street]])
            p *= department_q[responsible]
        quality.append(min(p, 0.5))
        rows.append(
            Site(
                code=f"BSP{i:05}", name=f"测评点位{i + 1}", site_type=type_of(), lng=120.1 + rng.random() / 5,
                lat=30.2 + rng.random() / 5, area_unit_id=area, responsible_unit_id=responsible,
                declared=rng.random() < 0.3,
            )
        )  # fmt: skip
    Site.objects.bulk_create(rows, batch_size=1000)
    out = []
    for site, p in zip(Site.objects.order_by("code"), quality, strict=True):
        out.append(
            {
                "id": site.pk,
                "type": site.site_type,
                "area": site.area_unit_id,
                "street": street_of[site.area_unit_id],
                "district": district_of[street_of[site.area_unit_id]],
                "responsible": site.responsible_unit_id,
                "lat": site.lat,
                "lng": site.lng,
                "p": p,
            }
        )
    return out


def month_starts(today: date) -> list[date]:
    """The first days of the ``MONTHS`` complete months before ``today``'s month, oldest first."""
    first = today.replace(day=1)
    out = []
    for _ in range(MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return out[::-1]


def build_rounds(
    months: list[date], units: dict[str, Any], standard: Any, coordinator: int
) -> list[dict[str, Any]]:
    from chuangwen.rounds.models import Round, RoundKind, RoundStatus
    from chuangwen.workdays.services import TZ

    top = units["top"]
    plan = []
    for m, first in enumerate(months):
        plan.append(
            (RoundKind.UNANNOUNCED, f"{first:%Y年%m月}暗访", top, first.replace(day=3), first.replace(day=20))
        )
        if m > 0:
            plan.append(
                (
                    RoundKind.REVISIT,
                    f"{first:%Y年%m月}回头看",
                    top,
                    first.replace(day=22),
                    first.replace(day=27),
                )
            )
        for district in units["districts"]:
            name = f"{first:%Y年%m月}{district.name}自查"
            plan.append((RoundKind.SELF_CHECK, name, district, first.replace(day=5), first.replace(day=25)))
    rows = []
    for kind, name, owner, start, end in plan:
        published = datetime.combine(
            end + timedelta(days=2 if kind == RoundKind.REVISIT else 3), datetime.min.time()
        )
        rows.append(
            Round(
                name=name, kind=kind, standard=standard, owner_unit=owner, target_unit=owner,
                period_start=start, period_end=end, status=RoundStatus.PUBLISHED,
                published_at=published.replace(hour=10, tzinfo=TZ),
                published_by_id=coordinator, drawn_at=datetime.combine(start, datetime.min.time(), tzinfo=TZ),
                drawn_by_id=coordinator, created_by_id=coordinator,
            )
        )  # fmt: skip
    Round.objects.bulk_create(rows)
    return [
        {
            "id": r.pk,
            "kind": r.kind,
            "owner": r.owner_unit_id,
            "start": r.period_start,
            "end": r.period_end,
            "published_at": r.published_at,
        }
        for r in Round.objects.order_by("period_start", "pk")
    ]
