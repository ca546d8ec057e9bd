"""Sites (点位) of every site type of the standard, named like real places, inside their communities."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from chuangwen.demo.geometry import PointSampler
from chuangwen.demo.names import NameBook, UniqueNames
from chuangwen.demo.territory import Community, District, Street, Territory
from chuangwen.org.models import Unit
from chuangwen.sites.models import RiskTag, Site

# Share of the registry per site type code (types of a different standard get the fallback share).
TYPE_SHARE = {
    "ZD": 0.17, "BJ": 0.20, "NM": 0.05, "LJ": 0.17, "JK": 0.10,
    "GJ": 0.12, "GC": 0.06, "GD": 0.05, "XX": 0.06, "GW": 0.025,
}  # fmt: skip
FALLBACK_SHARE = 0.05
# Types a department answers for (by duty tag); others belong to the street, 老旧小区 to its community.
RESPONSIBLE_DUTY = {"JK": "交警", "GJ": "交通", "GD": "住建", "GC": "园林"}
DECLARED_SHARE = 0.2
INACTIVE_SHARE = 0.03


@dataclass
class SiteType:
    code: str
    name: str


@dataclass
class Spot:
    district: District
    street: Street
    community: Community


Namer = Callable[[NameBook, random.Random, Spot], str]


def _pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


NAMERS: dict[str, Namer] = {
    "ZD": lambda n, r, s: n.word() + _pick(r, "路", "路", "大道", "街"),
    "BJ": lambda n, r, s: n.word() + _pick(r, "巷", "弄", "里", "坊"),
    "NM": lambda n, r, s: n.word() + "农贸市场",
    "LJ": lambda n, r, s: n.word() + _pick(r, "新村", "小区", "苑", "公寓", "家园"),
    "JK": lambda n, r, s: f"{n.word()}路与{n.word()}路交叉口",
    "GJ": lambda n, r, s: n.word() + _pick(r, "路口公交站", "公交站", "首末站"),
    "GC": lambda n, r, s: n.word() + _pick(r, "公园", "广场", "文化广场", "口袋公园"),
    "GD": lambda n, r, s: n.word() + _pick(r, "安置房", "商业综合体", "学校新建", "道路提升") + "项目工地",
    "XX": lambda n, r, s: n.word() + _pick(r, "小学", "中学", "实验小学", "幼儿园") + "周边",
    "GW": lambda n, r, s: _pick(
        r,
        f"{s.street.unit.name}便民服务中心",
        f"{s.community.unit.name}党群服务中心",
        f"{s.district.unit.name}政务服务中心",
        f"{s.district.unit.name}不动产登记服务中心",
    ),
}
ROAD_TYPES = frozenset({"ZD", "BJ"})


def type_counts(types: list[SiteType], total: int) -> list[tuple[SiteType, int]]:
    """Split ``total`` over the types by share (largest remainder), at least one site of each type."""
    shares = [TYPE_SHARE.get(t.code, FALLBACK_SHARE) for t in types]
    scale = total / sum(shares)
    raw = [s * scale for s in shares]
    counts = [max(1, int(x)) for x in raw]
    order = sorted(range(len(types)), key=lambda i: (-(raw[i] - int(raw[i])), i))
    for i in order[: max(0, total - sum(counts))]:
        counts[i] += 1
    return list(zip(types, counts, strict=True))


def _risk_tags(rng: random.Random, code: str, spot: Spot) -> list[str]:
    tags = {
        "LJ": [RiskTag.OLD_ESTATE],
        "NM": [RiskTag.NEAR_MARKET],
        "XX": [RiskTag.NEAR_SCHOOL],
        "GD": [RiskTag.CONSTRUCTION],
    }.get(code, [])
    if code == "LJ" and rng.random() < 0.15:
        tags = [*tags, RiskTag.TUBE_BUILDING]
    if code in ("BJ", "ZD", "NM") and spot.community.on_edge and rng.random() < 0.4:
        tags = [*tags, RiskTag.CITY_EDGE]
    return [str(t) for t in tags]


def _responsible(code: str, spot: Spot) -> Unit:
    duty = RESPONSIBLE_DUTY.get(code)
    if duty is not None:
        department = spot.district.department_for(duty)
        if department is not None:
            return department
    return spot.community.unit if code == "LJ" else spot.street.unit


def build_sites(
    territory: Territory, types: list[SiteType], per_district: int, rng: random.Random, names: NameBook
) -> list[Site]:
    samplers: dict[str, PointSampler] = {}
    unique = UniqueNames()
    sites: list[Site] = []
    for district in territory.districts:
        spots = [Spot(district, s, c) for s in district.streets for c in s.communities]
        for site_type, count in type_counts(types, per_district):
            for _n in range(count):
                spot = rng.choice(spots)
                sites.append(_site(len(sites) + 1, site_type, spot, rng, names, unique, samplers))
    Site.objects.bulk_create(sites, batch_size=1000)
    return sites


def _site(
    number: int,
    site_type: SiteType,
    spot: Spot,
    rng: random.Random,
    names: NameBook,
    unique: UniqueNames,
    samplers: dict[str, PointSampler],
) -> Site:
    community = spot.community
    sampler = samplers.get(community.unit.code)
    if sampler is None:
        sampler = PointSampler(community.boundary, margin=_margin(community))
        samplers[community.unit.code] = sampler
    namer = NAMERS.get(site_type.code, lambda n, r, s: n.word() + site_type.name)
    name = unique(namer(names, rng, spot), sections=site_type.code in ROAD_TYPES)
    lng, lat = sampler.sample(rng)
    district, street = spot.district.unit, spot.street.unit
    return Site(
        code=f"P{number:05d}",
        name=name,
        site_type=site_type.code,
        address=f"{district.parent.name if district.parent else ''}{district.name}{street.name}{name}",
        lng=lng,
        lat=lat,
        area_unit=community.unit,
        responsible_unit=_responsible(site_type.code, spot),
        declared=rng.random() < DECLARED_SHARE,
        risk_tags=_risk_tags(rng, site_type.code, spot),
        active=rng.random() >= INACTIVE_SHARE,
    )


def _margin(community: Community) -> float:
    ring = community.boundary["coordinates"][0]
    width = max(p[0] for p in ring) - min(p[0] for p in ring)
    height = max(p[1] for p in ring) - min(p[1] for p in ring)
    return min(width, height) * 0.08
