"""The organisation tree of the demo: city → districts → streets → communities (→ grids), and departments."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import mapping
from shapely.ops import unary_union

from chuangwen.demo.geometry import Block, Lattice, polygon_of, split_in_two
from chuangwen.demo.names import (
    CITY_NAME,
    DEPARTMENTS,
    DISTRICT_NAMES,
    TERRITORIAL_DUTIES,
    NameBook,
)
from chuangwen.demo.spec import CENTER_LAT, CENTER_LNG, ScaleSpec
from chuangwen.org.models import Unit, UnitKind


@dataclass
class Community:
    unit: Unit
    boundary: dict[str, Any]
    on_edge: bool


@dataclass
class Street:
    unit: Unit
    number: int
    communities: list[Community] = field(default_factory=list)


@dataclass
class District:
    unit: Unit
    streets: list[Street] = field(default_factory=list)
    departments: list[Unit] = field(default_factory=list)

    def department_for(self, duty: str) -> Unit | None:
        return next((d for d in self.departments if duty in d.duty_tags), None)


@dataclass
class Territory:
    city: Unit
    districts: list[District]
    root: Unit  # where the district-wide (or city-wide) staff sit


def insert_units(units: list[Unit]) -> list[Unit]:
    """Bulk insert one level of the tree and give each its materialised path (Unit.save would per row)."""
    Unit.objects.bulk_create(units, batch_size=500)
    for unit in units:
        unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
        unit.depth = unit.path.count("/") - 2
    Unit.objects.bulk_update(units, ["path", "depth"], batch_size=500)
    return units


def _unit(code: str, name: str, kind: str, parent: Unit | None, order: int, **extra: Any) -> Unit:
    return Unit(code=code, name=name, kind=kind, parent=parent, sort_order=order, **extra)


def build_territory(spec: ScaleSpec, rng: random.Random, names: NameBook, duties: Iterable[str]) -> Territory:
    west = CENTER_LNG - spec.cols * spec.cell_lng / 2
    south = CENTER_LAT - spec.rows * spec.cell_lat / 2
    lattice = Lattice(rng, west, south, spec.cols, spec.rows, spec.cell_lng, spec.cell_lat)
    blocks = [_district_block(spec, d) for d in range(spec.districts)]
    city_boundary = None
    if spec.districts > 1:
        union = unary_union([polygon_of(lattice.geojson(b)) for b in blocks])
        city_boundary = {
            "type": "Polygon",
            "coordinates": [[list(c) for c in mapping(union)["coordinates"][0]]],
        }
    (city,) = insert_units([_unit("C01", CITY_NAME, UnitKind.CITY, None, 1, boundary=city_boundary)])
    district_names = rng.sample(DISTRICT_NAMES, spec.districts)
    district_units = insert_units(
        [
            _unit(
                f"D{d + 1:02d}",
                district_names[d],
                UnitKind.DISTRICT,
                city,
                d + 1,
                boundary=lattice.geojson(b),
            )
            for d, b in enumerate(blocks)
        ]
    )
    districts = [District(u) for u in district_units]
    _add_streets(spec, names, lattice, districts, blocks)
    _add_departments(districts, sorted(set(duties)))
    _add_communities(spec, rng, names, lattice, districts, blocks)
    if spec.grids:
        _add_grids(districts)
    root = city if spec.districts > 1 else districts[0].unit
    return Territory(city, districts, root)


def _district_block(spec: ScaleSpec, d: int) -> Block:
    width, height = spec.street_cols * spec.community_cols, spec.street_rows * spec.community_rows
    c0, r0 = (d % spec.district_cols) * width, (d // spec.district_cols) * height
    return Block(c0, r0, c0 + width, r0 + height)


def _street_blocks(spec: ScaleSpec, district: Block) -> list[Block]:
    w, h = spec.community_cols, spec.community_rows
    return [
        Block(
            district.c0 + sc * w, district.r1 - (sr + 1) * h, district.c0 + (sc + 1) * w, district.r1 - sr * h
        )
        for sr in range(spec.street_rows)
        for sc in range(spec.street_cols)
    ]


def _add_streets(
    spec: ScaleSpec,
    names: NameBook,
    lattice: Lattice,
    districts: list[District],
    blocks: list[Block],
) -> None:
    units = []
    for district, block in zip(districts, blocks, strict=True):
        for n, sb in enumerate(_street_blocks(spec, block), start=1):
            code = f"{district.unit.code}S{n:02d}"
            unit = _unit(
                code, names.place() + "街道", UnitKind.STREET, district.unit, n, boundary=lattice.geojson(sb)
            )
            units.append(unit)
            district.streets.append(Street(unit, n))
    insert_units(units)


def _add_departments(districts: list[District], duties: list[str]) -> None:
    covered = {d for _suffix, tags in DEPARTMENTS for d in tags}
    extra = [(f"{duty}工作办公室", [duty]) for duty in duties if duty not in covered | TERRITORIAL_DUTIES]
    units = []
    for district in districts:
        for n, (suffix, tags) in enumerate(DEPARTMENTS + extra, start=1):
            code = f"{district.unit.code}B{n:02d}"
            name = district.unit.name + suffix
            unit = _unit(code, name, UnitKind.DEPARTMENT, district.unit, 100 + n, duty_tags=list(tags))
            units.append(unit)
            district.departments.append(unit)
    insert_units(units)


def _community_blocks(spec: ScaleSpec, rng: random.Random, street: Block) -> list[Block]:
    cells = [
        Block(c, r, c + 1, r + 1)
        for r in range(street.r1 - 1, street.r0 - 1, -1)
        for c in range(street.c0, street.c1)
    ]
    if spec.community_rows > 1 and rng.random() < spec.merge_share:
        c = rng.randrange(street.c0, street.c1)
        r = rng.randrange(street.r0, street.r1 - 1)
        cells = [b for b in cells if not (b.c0 == c and b.r0 in (r, r + 1))]
        cells.append(Block(c, r, c + 1, r + 2))
        cells.sort(key=lambda b: (-b.r1, b.c0))
    return cells


def _add_communities(
    spec: ScaleSpec,
    rng: random.Random,
    names: NameBook,
    lattice: Lattice,
    districts: list[District],
    blocks: list[Block],
) -> None:
    units = []
    for district, block in zip(districts, blocks, strict=True):
        street_blocks = _street_blocks(spec, block)
        for street, sb in zip(district.streets, street_blocks, strict=True):
            for n, cb in enumerate(_community_blocks(spec, rng, sb), start=1):
                boundary = lattice.geojson(cb)
                code = f"{street.unit.code}C{n:02d}"
                unit = _unit(
                    code, names.place() + "社区", UnitKind.COMMUNITY, street.unit, n, boundary=boundary
                )
                on_edge = cb.c0 == block.c0 or cb.c1 == block.c1 or cb.r0 == block.r0 or cb.r1 == block.r1
                street.communities.append(Community(unit, boundary, on_edge))
                units.append(unit)
    insert_units(units)


def _add_grids(districts: list[District]) -> None:
    units = []
    for district in districts:
        for street in district.streets:
            community = street.communities[0]
            pieces = split_in_two(community.boundary) or []
            for n, piece in enumerate(pieces, start=1):
                code = f"{community.unit.code}G{n:02d}"
                name = f"{community.unit.name}第{n}网格"
                units.append(_unit(code, name, UnitKind.GRID, community.unit, n, boundary=piece))
    insert_units(units)
