"""YAML and Excel exports re-import to an identical standard."""

from __future__ import annotations

import io

import pytest
import yaml
from openpyxl import Workbook, load_workbook

from chuangwen.standards.models import Standard
from chuangwen.standards.services import (
    StandardImportError,
    export_standard_xlsx,
    export_standard_yaml,
    import_standard_xlsx,
    import_standard_yaml,
    standard_document,
    update_check_item,
    update_parameters,
)


def same(a: Standard, b: Standard) -> bool:
    doc_a, doc_b = standard_document(a), standard_document(b)
    doc_a.pop("version"), doc_b.pop("version")
    return doc_a == doc_b


def test_it_round_trips_through_yaml(starter):
    again = import_standard_yaml(export_standard_yaml(starter))
    assert again.version == 2 and same(starter, again)


def test_it_exports_yaml_in_the_shape_of_the_starter(starter, starter_doc):
    doc = yaml.safe_load(export_standard_yaml(starter))["standard"]
    assert [st["code"] for st in doc["site_types"]] == [
        st["code"] for st in starter_doc["standard"]["site_types"]
    ]
    assert doc["site_types"][0]["items"][0] == starter_doc["standard"]["site_types"][0]["items"][0]
    assert doc["site_types"][8]["items"][0] == starter_doc["standard"]["site_types"][8]["items"][0]


def test_it_round_trips_through_excel(starter):
    again = import_standard_xlsx(export_standard_xlsx(starter))
    assert again.version == 2 and same(starter, again)


def test_it_round_trips_edited_fractions_and_parameters(starter):
    item = starter.site_types.get(code="ZD").items.get(code="ZD-02")
    update_check_item(item, deduct="1.5", cap="7.25")
    update_parameters(starter, {"undeclared_weight": 1.75, "composite_weights": {"onsite": 1, "survey": 0}})
    starter.site_types.filter(code="NM").update(weight="1.125")
    starter.refresh_from_db()
    assert same(starter, import_standard_yaml(export_standard_yaml(starter)))
    assert same(starter, import_standard_xlsx(export_standard_xlsx(starter)))


def test_it_writes_chinese_headers_and_labels(starter):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(starter)))
    assert wb.sheetnames == ["标准信息", "点位类型", "测评指标", "计分参数"]
    items = wb["测评指标"]
    header = [c.value for c in items[1]]
    assert header[:5] == ["点位类型编码", "指标编码", "问题类别", "测评内容", "计分方式"]
    assert "整改时限（工作日）" in header
    assert {row[4] for row in items.iter_rows(min_row=2, values_only=True)} == {
        "符合/不符合",
        "按处扣分",
        "一票否决",
    }
    assert [c.value for c in wb["点位类型"][1]] == ["类型编码", "类型名称", "测评方法", "权重"]


def test_it_names_the_row_and_column_of_an_excel_mistake(starter):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(starter)))
    ws = wb["测评指标"]
    ws["F5"] = -3  # 单次扣分 of the fourth item
    ws["A7"] = "QQ"  # an unknown site type
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(StandardImportError) as exc:
        import_standard_xlsx(out.getvalue())
    assert "测评指标表第5行.单次扣分: 必须是非负数" in exc.value.messages
    assert any(
        m.startswith("测评指标表第7行.点位类型编码: 点位类型表中没有编码为“QQ”") for m in exc.value.messages
    )
    assert Standard.objects.count() == 1


def test_it_refuses_a_workbook_without_the_sheets(db):
    wb = Workbook()
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(StandardImportError) as exc:
        import_standard_xlsx(out.getvalue())
    assert "点位类型: 缺少工作表" in exc.value.messages
    with pytest.raises(StandardImportError, match="不是有效的 Excel"):
        import_standard_xlsx(b"not a workbook")
    assert not Standard.objects.exists()


def test_it_refuses_a_missing_column(starter):
    wb = load_workbook(io.BytesIO(export_standard_xlsx(starter)))
    wb["测评指标"]["K1"] = "备注"  # the 责任类别 header is gone
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(StandardImportError) as exc:
        import_standard_xlsx(out.getvalue())
    assert exc.value.messages == ["测评指标表第1行.责任类别: 缺少该列"]
