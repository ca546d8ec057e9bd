from chuangwen.core.imports import export_xlsx, get_spec, run_import
from chuangwen.core.tests.helpers import errors_of, read_report, xlsx_bytes
from chuangwen.org.coords import wgs84_to_gcj02
from chuangwen.sites.models import Site
from chuangwen.standards.models import SiteType, Standard
from conftest import make_user

HEADERS = [
    "点位编码",
    "点位名称",
    "点位类型",
    "地址",
    "经度",
    "纬度",
    "坐标系",
    "责任单位编码",
    "申报点位",
    "风险标签",
    "启用",
]


def row(code, lng=120.02, lat=30.05, **kw):
    values = {
        "name": f"点位{code}",
        "type": "ZD",
        "address": "",
        "system": "",
        "unit": "S01",
        "declared": "否",
        "tags": "",
        "active": "是",
    } | kw
    return [
        code,
        values["name"],
        values["type"],
        values["address"],
        lng,
        lat,
        values["system"],
        values["unit"],
        values["declared"],
        values["tags"],
        values["active"],
    ]


def test_it_imports_sites_and_locates_them(org, users):
    gcj = wgs84_to_gcj02(120.07, 30.03)
    rows = [
        row("P1001", declared="是", tags="老旧小区、学校周边"),
        row("P1002", lng=gcj[0], lat=gcj[1], system="GCJ-02", unit="D01B01"),
        row("P1003", lng=120.05, lat=30.05),
        row("P1004", lng=120.1005, lat=30.05),
    ]
    result = run_import("sites", xlsx_bytes(HEADERS, rows), users["coordinator"])
    assert result.ok, errors_of(result)
    assert (result.created, result.updated) == (4, 0)
    first = Site.objects.get(code="P1001")
    assert (first.area_unit.code, first.declared, first.risk_tags) == ("S01", True, ["老旧小区", "学校周边"])
    second = Site.objects.get(code="P1002")
    assert second.area_unit.code == "S02" and second.responsible_unit.code == "D01B01"
    assert abs(second.lng - 120.07) < 2e-7 and abs(second.lat - 30.03) < 2e-7
    assert Site.objects.get(code="P1003").area_note == "位于边界，按编码规则归属"
    assert Site.objects.get(code="P1004").area_note.startswith("辖区外 ")

    rows = [row("P1001", name="改名了", lng=120.07, lat=30.05)]
    result = run_import("sites", xlsx_bytes(HEADERS, rows), users["coordinator"])
    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    first.refresh_from_db()
    assert (first.name, first.area_unit.code) == ("改名了", "S02")
    assert Site.objects.filter(code="P1001").count() == 1


def test_a_bad_file_writes_nothing_and_names_row_column_reason(org, users):
    rows = [
        row("P2001"),
        row("P2002", lng="东经120度"),
        row("P2003", lng=120.3),
        row("P2004", unit="NOPE"),
        row("P2005", system="BD-09"),
        row("P2006", tags="脏乱差"),
        row("P2007", lng=30.05, lat=120.02),
        row("P2001"),
    ]
    result = run_import("sites", xlsx_bytes(HEADERS, rows), users["coordinator"])
    assert not result.ok
    assert not Site.objects.exists()
    found = {(r, c): reason for r, c, reason in errors_of(result)}
    assert found[(3, "经度")] == "“东经120度”不是数字"
    assert found[(4, "经度/纬度")].startswith("点位不在辖区范围内（距最近边界 ")
    assert found[(5, "责任单位编码")] == "责任单位编码“NOPE”不存在"
    assert found[(6, "坐标系")].startswith("坐标系应为 WGS-84 或 GCJ-02")
    assert found[(7, "风险标签")].startswith("“脏乱差”不是有效的标签")
    assert "似乎填反了" in found[(8, "经度/纬度")]
    assert found[(9, "点位编码")] == "与第 2 行重复"
    assert len(result.errors) == 7
    listing = read_report(result.error_report)["错误清单"]
    assert [4, "经度/纬度", "120.3, 30.05", found[(4, "经度/纬度")]] in listing


def test_it_checks_site_types_against_the_active_standard(org, users):
    standard = Standard.objects.create(code="QG", version=1, name="全国测评体系", is_active=True)
    SiteType.objects.create(standard=standard, code="ZD", name="主次干道")
    result = run_import(
        "sites", xlsx_bytes(HEADERS, [row("P3001"), row("P3002", type="XX")]), users["coordinator"]
    )
    assert errors_of(result) == [(3, "点位类型", "“XX”不是当前测评标准中的点位类型，可选：ZD（主次干道）")]


def test_it_refuses_sites_outside_the_importers_subtree(org, sites):
    west_coord = make_user("west_coord", "coordinator", org["west"])
    rows = [row("P4001"), row("P4002", unit="S02", lng=120.07), row("P0003", unit="S01")]
    result = run_import("sites", xlsx_bytes(HEADERS, rows), west_coord)
    assert errors_of(result) == [
        (3, "责任单位编码", "责任单位“S02”不在您的管辖范围内"),
        (4, "点位编码", "该点位不在您的管辖范围内，不能修改"),
    ]
    assert not Site.objects.filter(code="P4001").exists()


def test_an_export_reimports_cleanly(org, users, sites):
    coordinator = users["coordinator"]
    content = export_xlsx("sites", get_spec("sites").queryset_for(coordinator), actor=coordinator)
    result = run_import("sites", content, coordinator)
    assert result.ok, errors_of(result)
    assert (result.created, result.updated) == (0, 3)
    road = Site.objects.get(code="P0001")
    assert (road.lng, road.lat, road.declared, road.responsible_unit.code) == (120.02, 30.05, True, "S01")


def test_it_imports_400_sites_in_one_go(org, users):
    # No wall-clock limit here (it failed on a loaded machine); speed belongs in the benchmarks.
    rows = [
        row(f"P{i:05d}", lng=120.001 + (i % 40) * 0.0024, lat=30.001 + (i // 40) * 0.009) for i in range(400)
    ]
    result = run_import("sites", xlsx_bytes(HEADERS, rows), users["coordinator"])
    assert result.ok, errors_of(result)[:3]
    assert result.created == 400
