import json

import pytest
from django.core.management import CommandError, call_command

from chuangwen.audit.models import AuditEntry
from chuangwen.org.boundaries import BoundaryImportError, import_boundaries
from chuangwen.org.models import Unit
from conftest import EAST_POLY, WEST_POLY, make_user

WEST_C_POLY = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [120.03, 30.0], [120.03, 30.1], [120.0, 30.1], [120.0, 30.0]]],
}
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [120.01, 30.01], [120.01, 30.0], [120.0, 30.01], [120.0, 30.0]]],
}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def feature(geometry, **properties):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def problems_of(exc_info):
    return [(p.index, p.unit, p.reason) for p in exc_info.value.problems]


def test_it_imports_boundaries_by_code_and_audits_it(org, sites):
    result = import_boundaries(collection(feature(WEST_C_POLY, code="S01C01")))
    assert result.updated == 1
    assert Unit.objects.get(code="S01C01").boundary == WEST_C_POLY
    entry = AuditEntry.objects.filter(action="boundaries_imported").get()
    assert entry.detail["units"] == ["S01C01"]
    # the sites were re-located by the rule: the east community has no boundary, so its site falls back to
    # the street; the west ones lie in (or on the edge of) the newly mapped community
    assert result.sites == {"moved": 1, "outside": 0, "unchanged": 2}
    sites["east_estate"].refresh_from_db()
    assert sites["east_estate"].area_unit.code == "S02"


def test_it_matches_by_name_when_asked(org):
    import_boundaries(collection(feature(WEST_C_POLY, name="柳浪社区")), match="name")
    assert Unit.objects.get(code="S01C01").boundary == WEST_C_POLY


def test_it_refuses_a_self_intersecting_bow_tie_and_writes_nothing(org):
    with pytest.raises(BoundaryImportError) as err:
        import_boundaries(collection(feature(EAST_POLY, code="S02C01"), feature(BOW_TIE, code="S01C01")))
    [(index, unit, reason)] = problems_of(err)
    assert (index, unit) == (2, "S01C01 柳浪社区")
    assert "自相交" in reason and "经度 120.005000" in reason
    assert Unit.objects.get(code="S02C01").boundary is None
    assert "第 2 个要素（S01C01 柳浪社区）" in str(err.value)


def test_it_refuses_an_unclosed_ring(org):
    open_ring = {"type": "Polygon", "coordinates": [WEST_C_POLY["coordinates"][0][:-1]]}
    with pytest.raises(BoundaryImportError) as err:
        import_boundaries(collection(feature(open_ring, code="S01C01")))
    [(index, _unit, reason)] = problems_of(err)
    assert index == 1 and "未闭合" in reason


def test_it_refuses_overlapping_siblings_naming_both(org):
    wide_east = {
        "type": "Polygon",
        "coordinates": [[[120.04, 30.0], [120.1, 30.0], [120.1, 30.1], [120.04, 30.1], [120.04, 30.0]]],
    }
    with pytest.raises(BoundaryImportError) as err:
        import_boundaries(collection(feature(wide_east, code="S02")))
    [(index, unit, reason)] = problems_of(err)
    assert (index, unit) == (1, "S02 东城街道")
    assert "与“S01 西湖街道”的边界重叠" in reason
    assert Unit.objects.get(code="S02").boundary == EAST_POLY


def test_it_accepts_siblings_that_only_touch_and_replaces_both_at_once(org):
    import_boundaries(collection(feature(EAST_POLY, code="S02"), feature(WEST_POLY, code="S01")))
    swapped_border_west = {
        "type": "Polygon",
        "coordinates": [[[120.0, 30.0], [120.06, 30.0], [120.06, 30.1], [120.0, 30.1], [120.0, 30.0]]],
    }
    narrow_east = {
        "type": "Polygon",
        "coordinates": [[[120.06, 30.0], [120.1, 30.0], [120.1, 30.1], [120.06, 30.1], [120.06, 30.0]]],
    }
    import_boundaries(collection(feature(swapped_border_west, code="S01"), feature(narrow_east, code="S02")))
    assert Unit.objects.get(code="S02").boundary == narrow_east


def test_it_reports_every_problem_with_index_and_unit(org):
    with pytest.raises(BoundaryImportError) as err:
        import_boundaries(
            collection(
                feature(WEST_C_POLY, code="NOPE"),
                feature({"type": "Point", "coordinates": [120.0, 30.0]}, code="S01C01"),
                feature(WEST_C_POLY, code="D01B01"),
                feature(WEST_C_POLY, code="S01C01"),
                feature(WEST_C_POLY, code="S01C01"),
            )
        )
    problems = problems_of(err)
    assert problems[0] == (1, "NOPE", "单位编码“NOPE”不存在")
    assert problems[1][0] == 2 and "Polygon 或 MultiPolygon" in problems[1][2]
    assert problems[2] == (3, "D01B01 区城管局", "部门没有辖区，不能设置边界")
    assert problems[3] == (5, "S01C01 柳浪社区", "与第 4 个要素是同一个单位")


def test_it_refuses_units_outside_the_importers_subtree(org):
    west_coord = make_user("west_coord", "coordinator", org["west"])
    with pytest.raises(BoundaryImportError) as err:
        import_boundaries(collection(feature(EAST_POLY, code="S02C01")), actor=west_coord)
    assert problems_of(err) == [(1, "S02C01 东门社区", "该单位不在您的管辖范围内")]
    import_boundaries(collection(feature(WEST_C_POLY, code="S01C01")), actor=west_coord)


def test_it_refuses_files_that_are_not_feature_collections(org):
    with pytest.raises(BoundaryImportError, match="不是有效的 JSON"):
        import_boundaries(b"{oops")
    with pytest.raises(BoundaryImportError, match="FeatureCollection"):
        import_boundaries({"type": "Feature"})


def test_the_command_imports_and_reports_errors(org, tmp_path):
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(collection(feature(WEST_C_POLY, code="S01C01"))), encoding="utf-8")
    call_command("import-boundaries", str(good))
    assert Unit.objects.get(code="S01C01").boundary == WEST_C_POLY
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(feature(BOW_TIE, name="东门社区"))), encoding="utf-8")
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import-boundaries", str(bad), "--match", "name")


def test_it_refuses_a_territory_reaching_outside_its_parent(org):
    too_wide = {
        "type": "Polygon",
        "coordinates": [[[120.0, 30.0], [120.07, 30.0], [120.07, 30.1], [120.0, 30.1], [120.0, 30.0]]],
    }
    with pytest.raises(BoundaryImportError) as err:
        import_boundaries(collection(feature(too_wide, code="S01C01")))
    [(index, unit, reason)] = problems_of(err)
    assert (index, unit) == (1, "S01C01 柳浪社区")
    assert reason.startswith("超出上级单位“S01 西湖街道”的边界约 ")


def test_it_refuses_a_parent_boundary_that_no_longer_holds_its_children(org):
    import_boundaries(collection(feature(WEST_C_POLY, code="S01C01")))
    narrow_west = {
        "type": "Polygon",
        "coordinates": [[[120.0, 30.0], [120.02, 30.0], [120.02, 30.1], [120.0, 30.1], [120.0, 30.0]]],
    }
    with pytest.raises(BoundaryImportError) as err:
        import_boundaries(collection(feature(narrow_west, code="S01")))
    [(_index, _unit, reason)] = problems_of(err)
    assert reason.startswith("下级单位“S01C01 柳浪社区”的现有边界超出新边界约 ")
