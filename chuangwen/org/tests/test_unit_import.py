from chuangwen.audit.models import AuditEntry
from chuangwen.core.imports import export_xlsx, get_spec, run_import
from chuangwen.core.tests.helpers import errors_of, read_report, xlsx_bytes
from chuangwen.org.models import Unit
from conftest import make_user

HEADERS = ["单位编码", "单位名称", "单位类型", "上级单位编码", "职责标签", "联系电话"]


def test_it_imports_units_in_kind_order_whatever_the_row_order(org, users):
    rows = [
        ["S01C02G01", "柳浪一网格", "网格", "S01C02", "", ""],
        ["S01C02", "涌金社区", "community", "S01", "环境、秩序", "0571-8888 1234"],
        ["S03", "北山街道", "街道", "D01", "", ""],
        ["D01B02", "区市场监管局", "部门", "D01", "市场,食品", ""],
    ]
    result = run_import("units", xlsx_bytes(HEADERS, rows), users["coordinator"])
    assert result.ok, errors_of(result)
    assert (result.total_rows, result.created, result.updated) == (4, 4, 0)
    grid = Unit.objects.get(code="S01C02G01")
    assert grid.parent.code == "S01C02" and grid.path.startswith(org["west"].path)
    community = Unit.objects.get(code="S01C02")
    assert community.duty_tags == ["环境", "秩序"] and community.contact == "0571-8888 1234"
    assert Unit.objects.get(code="D01B02").duty_tags == ["市场", "食品"]
    entry = AuditEntry.objects.filter(action="import_units").get()
    assert entry.detail["created"] == 4 and entry.actor == users["coordinator"]


def test_it_updates_on_reimport_without_duplicates(org, users):
    rows = [["S01C02", "涌金社区", "社区", "S01", "", ""]]
    assert run_import("units", xlsx_bytes(HEADERS, rows), users["coordinator"]).ok
    rows = [["S01C02", "涌金门社区", "社区", "S02", "", "12345"]]
    result = run_import("units", xlsx_bytes(HEADERS, rows), users["coordinator"])
    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    moved = Unit.objects.get(code="S01C02")
    assert (moved.name, moved.parent.code, moved.contact) == ("涌金门社区", "S02", "12345")
    assert moved.path.startswith(org["east"].path)
    assert Unit.objects.filter(code="S01C02").count() == 1


def test_a_bad_file_writes_nothing_and_the_report_names_row_column_reason(org, users):
    rows = [
        ["S01C02", "涌金社区", "社区", "S01", "", ""],  # fine on its own
        ["S01C03", "清波社区", "小区", "S01", "", ""],  # bad kind
        ["S01C04", "南山社区", "社区", "S09", "", ""],  # unknown parent
        ["S01C02", "重复社区", "社区", "S01", "", ""],  # duplicate code
        ["S01C05", "错层社区", "社区", "D01", "", ""],  # a community under a district
        ["", "无编码", "社区", "S01", "", ""],  # empty required cell
    ]
    before = Unit.objects.count()
    result = run_import("units", xlsx_bytes(HEADERS, rows), users["coordinator"])
    assert not result.ok
    assert Unit.objects.count() == before
    found = errors_of(result)
    assert (3, "单位类型", "“小区”不是有效的选项，可选：市、区、街道、社区、网格、部门") in found
    assert (4, "上级单位编码", "上级单位编码“S09”不存在（系统和本文件中都没有）") in found
    assert (5, "单位编码", "与第 2 行重复") in found
    assert (6, "上级单位编码", "“社区”的上级必须是街道，而“D01”是“区”") in found
    assert (7, "单位编码", "不能为空") in found
    report = read_report(result.error_report)
    data, listing = report["导入数据"], report["错误清单"]
    assert data[0] == [*HEADERS, "错误"]
    assert data[2][0] == "S01C03" and "单位类型：“小区”不是有效的选项" in data[2][-1]
    assert data[1][-1] is None  # the good row has no error text
    assert listing[0] == ["行号", "列", "单元格内容", "原因"]
    assert [4, "上级单位编码", "S09", "上级单位编码“S09”不存在（系统和本文件中都没有）"] in listing


def test_it_names_a_missing_required_column(org, users):
    result = run_import(
        "units", xlsx_bytes(["单位编码", "单位名称"], [["X1", "某单位"]]), users["coordinator"]
    )
    assert not result.ok
    assert (None, "单位类型", "缺少必填列“单位类型”，请使用导出的模板") in errors_of(result)
    assert "单位类型" in str(result.errors[0])


def test_it_refuses_rows_outside_the_importers_subtree(org):
    west_coord = make_user("west_coord", "coordinator", org["west"])
    rows = [
        ["S01C02", "涌金社区", "社区", "S01", "", ""],
        ["S02C02", "东园社区", "社区", "S02", "", ""],
        ["S02", "东城街道", "街道", "D01", "", ""],
    ]
    result = run_import("units", xlsx_bytes(HEADERS, rows), west_coord)
    assert not result.ok
    assert errors_of(result) == [
        (3, "上级单位编码", "上级单位“S02”不在您的管辖范围内"),
        (4, "单位编码", "该单位不在您的管辖范围内，不能修改"),
    ]
    assert not Unit.objects.filter(code="S01C02").exists()


def test_it_refuses_importers_without_the_role(org, users):
    result = run_import("units", xlsx_bytes(HEADERS, []), users["west_handler"])
    assert not result.ok and "没有导入单位的权限" in result.errors[0].reason


def test_an_export_reimports_cleanly(org, users):
    coordinator = users["coordinator"]
    spec = get_spec("units")
    content = export_xlsx("units", spec.queryset_for(coordinator), actor=coordinator)
    assert AuditEntry.objects.filter(action="export_units").exists()
    result = run_import("units", content, coordinator)
    assert result.ok, errors_of(result)
    # the district itself, its two streets, two communities and the department; the city is out of scope
    assert (result.created, result.updated) == (0, 6)
    assert Unit.objects.get(code="D01B01").duty_tags == ["城管"]
    assert Unit.objects.get(code="D01").parent.code == "C01"
