"""The indicator tree in YAML: the rules, all or nothing, the starter tree, and derived versions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from chuangwen.audit.models import AuditEntry
from chuangwen.standards.models import CheckItem, Indicator, IndicatorContent, IndicatorProject, Standard
from chuangwen.standards.services import (
    StandardImportError,
    derive_new_version,
    export_standard_yaml,
    freeze,
    import_standard_yaml,
    load_default_standard,
    standard_document,
)

DATA = Path(__file__).resolve().parents[1] / "data"
LEAF = "indicators[0].contents[0].indicators[0]"

TREE: list[dict[str, Any]] = [
    {
        "code": "01",
        "name": "公正透明的法治环境",
        "contents": [
            {
                "code": "01-01",
                "name": "法治宣传教育",
                "indicators": [
                    {
                        "code": "01-01-01",
                        "text": "落实普法责任制，各部门有普法责任清单",
                        "methods": ["online"],
                        "points": 0.5,
                        "materials": ["document"],
                        "window_months": 12,
                        "guidance": "提供普法责任清单",
                    },
                    {
                        "code": "01-01-02",
                        "text": "政务服务窗口公示办事指南和投诉电话",
                        "methods": ["field", "online"],
                        "points": 1.25,
                        "materials": ["photo", "account"],
                        "check_items": ["GW-01", "ZD-01"],
                    },
                ],
            }
        ],
    },
    {
        "code": "02",
        "name": "负面清单",
        "contents": [
            {
                "code": "02-01",
                "name": "安全稳定",
                "indicators": [
                    {"code": "02-01-01", "text": "发生重大安全事故", "methods": ["负面清单"], "points": 5}
                ],
            }
        ],
    },
]


@pytest.fixture
def tree_doc(starter_doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(starter_doc)
    doc["standard"]["indicators"] = copy.deepcopy(TREE)
    return doc


def dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def refused(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(StandardImportError) as exc:
        import_standard_yaml(dump(doc))
    return exc.value.messages


def leaf(doc: dict[str, Any], project: int = 0, content: int = 0, index: int = 0) -> dict[str, Any]:
    return doc["standard"]["indicators"][project]["contents"][content]["indicators"][index]


def test_it_imports_a_tree_with_its_links(db, tree_doc):
    standard = import_standard_yaml(dump(tree_doc))
    projects = list(standard.indicator_projects.order_by("sort_order"))
    assert [(p.code, p.name) for p in projects] == [("01", "公正透明的法治环境"), ("02", "负面清单")]
    window = Indicator.objects.get(content__project__standard=standard, code="01-01-02")
    assert window.methods == ["online", "field"]  # the methods' own order, whatever order was typed
    assert window.material_types == ["account", "photo"]
    assert str(window.points) == "1.25" and window.window_months == 12  # the default window
    linked = window.check_items.all()
    assert {i.code for i in linked} == {"GW-01", "ZD-01"}
    assert {i.site_type.standard_id for i in linked} == {standard.pk}
    negative = Indicator.objects.get(content__project__standard=standard, code="02-01-01")
    assert negative.methods == ["negative"] and negative.material_types == []  # a Chinese label accepted
    entry = AuditEntry.objects.get(action="standard.import")
    assert entry.detail["indicators"] == 3


def test_it_round_trips_the_tree_through_yaml(db, tree_doc):
    first = import_standard_yaml(dump(tree_doc))
    again = import_standard_yaml(export_standard_yaml(first))
    doc_a, doc_b = standard_document(first), standard_document(again)
    assert doc_a.pop("version") == 1 and doc_b.pop("version") == 2
    assert doc_a == doc_b
    written = doc_a["indicators"][0]["contents"][0]["indicators"]
    assert written[0] == {**TREE[0]["contents"][0]["indicators"][0]}
    assert written[1]["methods"] == ["online", "field"] and written[1]["points"] == 1.25


def test_it_leaves_a_checklist_only_document_as_it_was(starter):
    assert "indicators" not in standard_document(starter)
    assert "indicators:" not in export_standard_yaml(starter)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: leaf(d).update(methods=[]), f"{LEAF}.methods: 不能为空"),
        (
            lambda d: leaf(d).update(methods=["online", "offline"]),
            f"{LEAF}.methods: “offline”无效，可用：online、field、survey、negative",
        ),
        (lambda d: leaf(d).pop("materials"), f"{LEAF}.materials: 不能为空"),
        (lambda d: leaf(d).update(materials=["video"]), f"{LEAF}.materials: “video”无效，可用："),
        (lambda d: leaf(d).update(points=-1), f"{LEAF}.points: 必须在 0 到 100 之间"),
        (lambda d: leaf(d).update(points=100.5), f"{LEAF}.points: 必须在 0 到 100 之间"),
        (lambda d: leaf(d).update(points=1.255), f"{LEAF}.points: 最多保留 2 位小数"),
        (lambda d: leaf(d).update(points="许多"), f"{LEAF}.points: 必须是数字"),
        (lambda d: leaf(d).update(window_months=0), f"{LEAF}.window_months: 必须在 1 到 36 之间"),
        (lambda d: leaf(d).update(window_months=37), f"{LEAF}.window_months: 必须在 1 到 36 之间"),
        (lambda d: leaf(d).update(text="字" * 2001), f"{LEAF}.text: 不能超过 2000 个字符"),
        (lambda d: leaf(d).pop("text"), f"{LEAF}.text: 不能为空"),
        (
            lambda d: leaf(d).update(check_items=["ZZ-99"]),
            f"{LEAF}.check_items: 本版本中没有编码为“ZZ-99”的实地测评指标",
        ),
        (lambda d: leaf(d).update(weight=2), f"{LEAF}.weight: 未知字段"),
        (
            lambda d: leaf(d).update(code="01-02-01"),
            f"{LEAF}.code: 编号必须以所属测评内容的编号加连字符（01-01-）开头",
        ),
        (
            lambda d: d["standard"]["indicators"][1]["contents"][0].update(code="01-01"),
            "indicators[1].contents[0].code: 编号“01-01”重复（已在 indicators[0].contents[0] 使用）",
        ),
        (
            lambda d: d["standard"]["indicators"][1]["contents"][0].update(code="03-01"),
            "indicators[1].contents[0].code: 编号必须以所属测评项目的编号加连字符（02-）开头",
        ),
        (
            lambda d: d["standard"]["indicators"][1].update(code="01"),
            "indicators[1].code: 编号“01”重复（已在 indicators[0] 使用）",
        ),
        (
            lambda d: leaf(d, 0, 0, 1).update(code="01-01-01"),
            "indicators[0].contents[0].indicators[1].code: 编号“01-01-01”重复（已在 " + LEAF + " 使用）",
        ),
        (
            lambda d: d["standard"]["indicators"][1].update(contents=[]),
            "indicators[1].contents: 至少需要一个测评内容",
        ),
        (
            lambda d: d["standard"]["indicators"][1]["contents"][0].update(indicators=[]),
            "indicators[1].contents[0].indicators: 至少需要一条测评标准",
        ),
        (lambda d: d["standard"].update(indicators={"code": "01"}), "indicators: 必须是列表"),
    ],
)
def test_it_refuses_each_broken_rule_with_its_place(db, tree_doc, change, message):
    change(tree_doc)
    messages = refused(tree_doc)
    assert any(m.startswith(message) for m in messages), messages
    assert not Standard.objects.exists()


def test_it_accepts_the_edges_of_each_range(db, tree_doc):
    leaf(tree_doc).update(points=100, window_months=36, text="字" * 2000)
    leaf(tree_doc, 0, 0, 1).update(points=0, window_months=1)
    standard = import_standard_yaml(dump(tree_doc))
    assert Indicator.objects.filter(content__project__standard=standard).count() == 3


def test_it_writes_nothing_when_one_indicator_is_wrong(db, tree_doc):
    leaf(tree_doc, 1).update(points=101)
    tree_doc["standard"]["site_types"][0]["items"][0]["deduct"] = -1  # a checklist problem reported alongside
    messages = refused(tree_doc)
    assert "indicators[1].contents[0].indicators[0].points: 必须在 0 到 100 之间" in messages
    assert "site_types[0].items[0].deduct: 必须是非负数" in messages
    for model in (Standard, CheckItem, IndicatorProject, IndicatorContent, Indicator):
        assert not model.objects.exists()


def test_it_does_not_blame_a_link_to_an_item_that_has_its_own_problem(db, tree_doc):
    tree_doc["standard"]["site_types"][0]["items"][0]["deduct"] = -1  # ZD-01, linked from 01-01-02
    assert refused(tree_doc) == ["site_types[0].items[0].deduct: 必须是非负数"]


def test_it_loads_the_starter_tree_with_the_checklist_as_one_version(db, starter_doc):
    standard = load_default_standard()
    assert (standard.code, standard.version, standard.is_active) == ("CW-2026", 1, True)
    doc = standard_document(standard)
    assert (
        doc["site_types"]
        == standard_document(import_standard_yaml((DATA / "checklist.yaml").read_bytes()))["site_types"]
    )
    projects = list(standard.indicator_projects.order_by("sort_order"))
    assert len(projects) == 8 and projects[-1].name == "负面清单"
    negative = Indicator.objects.filter(content__project=projects[-1])
    assert negative.count() >= 6 and all("negative" in i.methods for i in negative)
    assert IndicatorContent.objects.filter(project__standard=standard).count() >= 30
    indicators = Indicator.objects.filter(content__project__standard=standard)
    assert indicators.count() >= 110
    assert load_default_standard().pk == standard.pk  # idempotent


def test_it_links_every_field_indicator_of_the_starter_to_its_check_items(db):
    standard = load_default_standard()
    written = yaml.safe_load((DATA / "indicators.yaml").read_text(encoding="utf-8"))["indicators"]
    listed = {
        leaf["code"]: set(leaf.get("check_items", []))
        for project in written
        for content in project["contents"]
        for leaf in content["indicators"]
    }
    stored = Indicator.objects.filter(content__project__standard=standard).prefetch_related("check_items")
    methods = {"online": 0, "field": 0, "survey": 0}
    for indicator in stored:
        codes = {item.code for item in indicator.check_items.all()}
        assert codes == listed[indicator.code]
        assert all(item.site_type.standard_id == standard.pk for item in indicator.check_items.all())
        if "field" in indicator.methods:
            assert codes, indicator.code
        for method in methods:
            methods[method] += method in indicator.methods
    assert methods["online"] > len(listed) / 2 and methods["field"] >= 30 and methods["survey"] >= 10


def test_it_copies_the_tree_into_a_derived_version(db):
    old = freeze(load_default_standard(), "2026 年第 1 批次")
    new = derive_new_version(old)
    old_doc, new_doc = standard_document(old), standard_document(new)
    assert old_doc["indicators"] == new_doc["indicators"]
    copied = Indicator.objects.get(content__project__standard=new, code="01-03-01")
    original = Indicator.objects.get(content__project__standard=old, code="01-03-01")
    assert copied.pk != original.pk
    (new_item,) = copied.check_items.all()
    (old_item,) = original.check_items.all()
    assert new_item.code == old_item.code == "XX-01"
    assert new_item.site_type.standard_id == new.pk and old_item.site_type.standard_id == old.pk
    assert AuditEntry.objects.get(action="standard.derive").detail["indicators"] == indicator_count(old)


def indicator_count(standard: Standard) -> int:
    return Indicator.objects.filter(content__project__standard=standard).count()
