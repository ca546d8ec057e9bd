import math
import time

import pytest

from chuangwen.org.geo import (
    METRES_PER_DEGREE,
    AreaIndex,
    BoundaryError,
    LocationError,
    find_overlaps,
    locate_area_unit,
    validate_boundary,
)
from chuangwen.org.models import Unit, UnitKind
from conftest import DISTRICT_POLY, EAST_POLY, WEST_POLY

BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [120.01, 30.01], [120.01, 30.0], [120.0, 30.01], [120.0, 30.0]]],
}


def metres_east(degrees: float, lat: float = 30.05) -> float:
    return degrees * METRES_PER_DEGREE * math.cos(math.radians(lat))


# --- validate_boundary -------------------------------------------------------------------------------------


def test_it_accepts_the_fixture_polygons():
    for poly in (DISTRICT_POLY, EAST_POLY, WEST_POLY):
        assert validate_boundary(poly).area > 0


def test_it_names_a_self_intersection_and_where_it_is():
    with pytest.raises(BoundaryError) as err:
        validate_boundary(BOW_TIE, "第 1 个要素（S01 西湖街道）")
    message = str(err.value)
    assert "第 1 个要素（S01 西湖街道）" in message
    assert "自相交" in message
    assert "经度 120.005000，纬度 30.005000" in message


def test_it_refuses_an_unclosed_ring():
    poly = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.1]]]}
    with pytest.raises(BoundaryError, match="外环未闭合"):
        validate_boundary(poly)


def test_it_refuses_a_ring_with_too_few_points():
    poly = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.0, 30.0]]]}
    with pytest.raises(BoundaryError, match="只有 3 个点，至少需要 4 个"):
        validate_boundary(poly)


def test_it_refuses_something_that_is_not_a_polygon():
    with pytest.raises(BoundaryError, match="几何类型是 LineString"):
        validate_boundary({"type": "LineString", "coordinates": [[120.0, 30.0], [120.1, 30.1]]})
    with pytest.raises(BoundaryError, match="缺少几何对象"):
        validate_boundary(None)


def test_it_refuses_coordinates_out_of_range():
    poly = {"type": "Polygon", "coordinates": [[[30.0, 120.0], [30.1, 120.0], [30.1, 120.1], [30.0, 120.0]]]}
    with pytest.raises(BoundaryError, match="坐标超出范围"):
        validate_boundary(poly)


def test_it_refuses_a_hole_outside_its_shell():
    poly = {
        "type": "Polygon",
        "coordinates": [
            [[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.1], [120.0, 30.0]],
            [[121.0, 31.0], [121.1, 31.0], [121.1, 31.1], [121.0, 31.0]],
        ],
    }
    with pytest.raises(BoundaryError, match="内环（洞）位于外环之外"):
        validate_boundary(poly)


def test_it_finds_overlapping_siblings_but_not_touching_ones():
    west, east = validate_boundary(WEST_POLY), validate_boundary(EAST_POLY)
    assert find_overlaps([("西", west), ("东", east)]) == []
    wide_west = validate_boundary(
        {
            "type": "Polygon",
            "coordinates": [[[120.0, 30.0], [120.06, 30.0], [120.06, 30.1], [120.0, 30.1], [120.0, 30.0]]],
        }
    )
    [(a, b, area)] = find_overlaps([("西", wide_west), ("东", east)])
    assert {a, b} == {"西", "东"}
    assert area == pytest.approx(metres_east(0.01) * 0.1 * METRES_PER_DEGREE, rel=0.01)


# --- locate_area_unit --------------------------------------------------------------------------------------


def test_it_puts_an_inside_point_in_the_street_when_its_community_has_no_boundary(org):
    match = locate_area_unit(120.02, 30.05)
    assert (match.code, match.note) == ("S01", "")


def test_it_prefers_the_deepest_unit_whose_boundary_holds_the_point(org):
    org["west_c"].boundary = {
        "type": "Polygon",
        "coordinates": [[[120.0, 30.0], [120.03, 30.0], [120.03, 30.1], [120.0, 30.1], [120.0, 30.0]]],
    }
    org["west_c"].save()
    assert locate_area_unit(120.02, 30.05).code == "S01C01"
    assert locate_area_unit(120.04, 30.05).code == "S01"  # in the street, outside its mapped community


def test_it_gives_a_point_on_a_shared_border_to_the_smallest_code(org):
    match = locate_area_unit(120.05, 30.05)
    assert (match.code, match.note) == ("S01", "位于边界，按编码规则归属")


def test_it_keeps_a_point_on_an_outer_border_without_a_note(org):
    match = locate_area_unit(120.1, 30.05)
    assert (match.code, match.note) == ("S02", "")


def test_it_assigns_a_point_just_outside_to_the_nearest_unit(org):
    match = locate_area_unit(120.1005, 30.05)
    metres = round(metres_east(0.0005))
    assert match.code == "S02"  # the street, not the district on the same line
    assert match.note == f"辖区外 {metres} 米，就近归属"
    assert match.distance_m == pytest.approx(metres_east(0.0005), abs=0.01)


def test_it_breaks_a_tie_outside_a_shared_corner_by_code(org):
    match = locate_area_unit(120.05, 29.9996)
    assert match.code == "S01"
    assert match.note.startswith("辖区外 ")


def test_it_refuses_a_point_far_outside(org, settings):
    settings.SITE_OUTSIDE_TOLERANCE_M = 100
    with pytest.raises(LocationError) as err:
        locate_area_unit(120.11, 30.05)
    metres = round(metres_east(0.01))
    assert str(err.value) == f"点位不在辖区范围内（距最近边界 {metres} 米）"
    assert err.value.distance_m == pytest.approx(metres_east(0.01), rel=1e-3)


def test_it_ignores_departments_and_units_without_boundaries(org):
    org["dept"].boundary = DISTRICT_POLY
    org["dept"].save()
    index = AreaIndex(Unit.objects.all())
    assert {c.code for c in index.candidates} == {"D01", "S01", "S02"}
    assert locate_area_unit(120.07, 30.02, index).code == "S02"


def test_it_explains_when_there_are_no_boundaries_at_all(db):
    Unit.objects.create(code="X", name="无边界区", kind=UnitKind.DISTRICT)
    with pytest.raises(LocationError, match="尚未导入任何辖区边界"):
        locate_area_unit(120.0, 30.0)


def test_it_locates_400_points_well_under_a_second(org):
    index = AreaIndex.for_all_units()
    points = [(120.0 + (i % 20) * 0.005 + 0.001, 30.0 + (i // 20) * 0.005 + 0.001) for i in range(400)]
    started = time.perf_counter()
    codes = {locate_area_unit(lng, lat, index).code for lng, lat in points}
    assert time.perf_counter() - started < 0.25
    assert codes == {"S01", "S02"}


def test_it_caches_prepared_shapes_until_the_boundary_changes(org):
    first = AreaIndex.for_all_units()
    second = AreaIndex.for_all_units()
    assert first.candidates[0].shape is second.candidates[0].shape
    org["west"].boundary = {
        "type": "Polygon",
        "coordinates": [[[120.0, 30.0], [120.04, 30.0], [120.04, 30.1], [120.0, 30.1], [120.0, 30.0]]],
    }
    org["west"].save()
    third = AreaIndex.for_all_units()
    west = next(c for c in third.candidates if c.code == "S01")
    assert west.shape is not next(c for c in first.candidates if c.code == "S01").shape
