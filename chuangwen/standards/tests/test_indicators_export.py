"""The indicator tree in Excel and YAML exports: three more sheets, round trips, and row-named problems."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from chuangwen.standards.models import Indicator, Standard
from chuangwen.standards.services import (
    StandardImportError,
    export_standard_xlsx,
    export_standard_yaml,
    import_standard_xlsx,
    import_standard_yaml,
    load_default_standard,
    standard_document,
)

TREE_SHEETS = ["测评项目", "测评内容", "测评标准"]
LEAF_HEADER = [
    "内容编号",
    "标准编号",
    "测评标准",
    "测评方法",
    "分值",
    "材料类型",
    "材料时限（月）",
    "申报要求",
    "对应实地测评指标",
]


@pytest.fixture
def default(db):
    return load_default_standard()


def same(a: Standard, b: Standard) -> bool:
    doc_a, doc_b = standard_document(a), standard_document(b)
    doc_a.pop("version"), doc_b.pop("version")
    return doc_a == doc_b


def saved(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def leaf_row(ws, code: str) -> int:
    return next(row[0].row for row in ws.iter_rows(min_row=2) if row[1].value == code)


def test_it_round_trips_the_tree_through_excel(default):
    again = import_standard_xlsx(export_standard_xlsx(default))
    assert again.version == 2 and same(default, again)
    count = Indicator.objects.filter(content__project__standard=default).count()
    assert Indicator.objects.filter(content__project__standard=again).count() == count >= 110
    linked = Indicator.objects.get(content__project__standard=again, code="01-03-01").check_items.get()
    assert linked.code == "XX-01" and linked.site_type.standard_id == again.pk


def test_it_round_trips_the_starter_through_yaml(default):
    again = import_standard_yaml(export_standard_yaml(default))
    assert same(default, again)


def test_it_writes_the_tree_sheets_with_chinese_labels(default):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(default)))
    assert wb.sheetnames[-3:] == TREE_SHEETS
    assert [c.value for c in wb["测评项目"][1]] == ["项目编号", "测评项目"]
    assert [c.value for c in wb["测评内容"][1]] == ["项目编号", "内容编号", "测评内容"]
    leaves = wb["测评标准"]
    assert [c.value for c in leaves[1]] == LEAF_HEADER
    row = [c.value for c in leaves[leaf_row(leaves, "03-03-01")]]
    assert row[0] == "03-03" and row[3] == "网上申报、实地考察" and row[5] == "规范文件、实景图片"
    assert row[8] == "GW-01" and row[6] == 6
    assert wb["测评项目"]["A2"].value == "01"  # text, not the number 1


def test_it_accepts_english_values_and_other_separators(default):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(default)))
    leaves = wb["测评标准"]
    n = leaf_row(leaves, "03-03-01")
    leaves[f"D{n}"] = "field, online"
    leaves[f"F{n}"] = "photo；规范文件"
    leaves[f"I{n}"] = "GW-01，GW-02;ZD-01"
    again = import_standard_xlsx(saved(wb))
    indicator = Indicator.objects.get(content__project__standard=again, code="03-03-01")
    assert indicator.methods == ["online", "field"] and indicator.material_types == ["document", "photo"]
    assert sorted(i.code for i in indicator.check_items.all()) == ["GW-01", "GW-02", "ZD-01"]


def test_it_names_the_sheet_row_and_column_of_a_tree_mistake(default):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(default)))
    leaves = wb["测评标准"]
    n = leaf_row(leaves, "01-01-02")
    leaves[f"E{n}"] = -1
    leaves[f"D{n + 1}"] = "网上申报、暗访"
    leaves[f"A{n + 2}"] = "99-99"
    leaves[f"F{n + 3}"] = None  # an online indicator without material types
    contents = wb["测评内容"]
    contents.append(["88", "88-01", "无主内容"])
    with pytest.raises(StandardImportError) as exc:
        import_standard_xlsx(saved(wb))
    messages = exc.value.messages
    assert f"测评标准表第{n}行.分值: 必须在 0 到 100 之间" in messages
    assert any(m.startswith(f"测评标准表第{n + 1}行.测评方法: “暗访”无效") for m in messages)
    assert f"测评标准表第{n + 2}行.内容编号: 测评内容表中没有编号为“99-99”的内容" in messages
    assert f"测评标准表第{n + 3}行.材料类型: 不能为空" in messages
    assert f"测评内容表第{contents.max_row}行.项目编号: 测评项目表中没有编号为“88”的项目" in messages
    assert Standard.objects.count() == 1


def test_it_names_a_repeated_code_in_excel(default):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(default)))
    wb["测评项目"]["A3"] = "01"
    with pytest.raises(StandardImportError) as exc:
        import_standard_xlsx(saved(wb))
    assert "测评项目表第3行.项目编号: 编号“01”重复（已在 测评项目表第2行 使用）" in exc.value.messages


def test_it_refuses_a_missing_tree_column_or_sheet(default):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(default)))
    wb["测评标准"]["D1"] = "备注"
    with pytest.raises(StandardImportError) as exc:
        import_standard_xlsx(saved(wb))
    assert exc.value.messages == ["测评标准表第1行.测评方法: 缺少该列"]
    wb = load_workbook(io.BytesIO(export_standard_xlsx(default)))
    del wb["测评内容"]
    with pytest.raises(StandardImportError) as exc:
        import_standard_xlsx(saved(wb))
    assert exc.value.messages == ["测评内容: 缺少工作表"]
    assert Standard.objects.count() == 1


def test_it_still_imports_a_checklist_only_workbook(default):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(default)))
    for name in TREE_SHEETS:
        del wb[name]
    again = import_standard_xlsx(saved(wb))
    assert not again.indicator_projects.exists()
    doc = standard_document(again)
    assert "indicators" not in doc and doc["site_types"] == standard_document(default)["site_types"]


def test_it_writes_no_tree_sheets_for_a_version_without_a_tree(starter):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(starter)))
    assert not set(TREE_SHEETS) & set(wb.sheetnames)
