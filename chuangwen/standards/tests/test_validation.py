"""Every rule gives a precise message (where, which field, why) and nothing is written."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from chuangwen.audit.models import AuditEntry
from chuangwen.standards.models import CheckItem, SiteType, Standard
from chuangwen.standards.services import StandardImportError, import_standard_yaml


def item(doc: dict[str, Any], t: int, i: int) -> dict[str, Any]:
    return doc["standard"]["site_types"][t]["items"][i]


def refuse(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(StandardImportError) as exc:
        import_standard_yaml(yaml.safe_dump(doc, allow_unicode=True))
    assert Standard.objects.count() == 0
    assert SiteType.objects.count() == 0 and CheckItem.objects.count() == 0
    assert not AuditEntry.objects.filter(action="standard.import").exists()
    return exc.value.messages


CASES = [
    (lambda d: item(d, 2, 4).update(deduct=-1), "site_types[2].items[4].deduct: 必须是非负数"),
    (lambda d: item(d, 2, 4).update(deduct="三"), "site_types[2].items[4].deduct: 必须是数字"),
    (lambda d: item(d, 0, 1).update(deduct=1.234), "site_types[0].items[1].deduct: 最多保留 2 位小数"),
    (lambda d: item(d, 0, 0).update(mode="sometimes"), "site_types[0].items[0].mode: 取值必须是"),
    (lambda d: item(d, 0, 0).update(cap=1), "site_types[0].items[0].cap: 扣分上限不能小于单次扣分"),
    (lambda d: item(d, 0, 0).pop("cap"), "site_types[0].items[0].cap: 不能为空"),
    (lambda d: item(d, 1, 0).update(cap=9), "site_types[1].items[0].cap: 只有按处扣分的指标才设扣分上限"),
    (lambda d: item(d, 1, 0).pop("deduct"), "site_types[1].items[0].deduct: 不能为空"),
    (lambda d: item(d, 8, 0).update(deduct=5), "site_types[8].items[0].deduct: 一票否决项不设单次扣分"),
    (lambda d: item(d, 0, 0).update(severity="fatal"), "site_types[0].items[0].severity: 取值必须是"),
    (
        lambda d: item(d, 0, 0).update(deadline_days=366),
        "site_types[0].items[0].deadline_days: 必须在 0 到 365",
    ),
    (lambda d: item(d, 0, 0).update(deadline_days=1.5), "site_types[0].items[0].deadline_days: 必须是整数"),
    (
        lambda d: item(d, 0, 0).update(deadline_days=-1),
        "site_types[0].items[0].deadline_days: 必须在 0 到 365",
    ),
    (lambda d: item(d, 0, 0).update(deadline_days=True), "site_types[0].items[0].deadline_days: 必须是整数"),
    (
        lambda d: item(d, 0, 3).update(code="ZD-01"),
        "site_types[0].items[3].code: 编码“ZD-01”重复（已在 site_types[0].items[0]",
    ),
    (lambda d: item(d, 3, 0).update(code="ZD-02"), "site_types[3].items[0].code: 编码“ZD-02”重复"),
    (lambda d: d["standard"]["site_types"][4].update(code="ZD"), "site_types[4].code: 编码“ZD”重复"),
    (lambda d: d["standard"]["site_types"][1].update(weight=0), "site_types[1].weight: 必须大于 0"),
    (lambda d: d["standard"]["site_types"][1].update(weight=-2), "site_types[1].weight: 必须大于 0"),
    (lambda d: d["standard"]["site_types"][1].pop("name"), "site_types[1].name: 不能为空"),
    (lambda d: d["standard"]["site_types"][1].update(items=[]), "site_types[1].items: 至少需要一个测评指标"),
    (lambda d: d["standard"]["site_types"][1].update(items="x"), "site_types[1].items: 必须是列表"),
    (lambda d: item(d, 0, 0).pop("duty"), "site_types[0].items[0].duty: 不能为空"),
    (lambda d: item(d, 0, 0).update(text="  "), "site_types[0].items[0].text: 不能为空"),
    (lambda d: item(d, 0, 0).update(dedcut=1), "site_types[0].items[0].dedcut: 未知字段"),
    (lambda d: item(d, 0, 0).update(code="ZD 01"), "site_types[0].items[0].code: 只能包含字母、数字"),
    (
        lambda d: item(d, 0, 0).update(category="x" * 51),
        "site_types[0].items[0].category: 不能超过 50 个字符",
    ),
    (lambda d: d["standard"].pop("code"), "code: 不能为空"),
    (lambda d: d["standard"].update(site_types=[]), "site_types: 至少需要一个点位类型"),
    (lambda d: d["standard"].update(parameters={"min_sample": 0}), "parameters.min_sample: 超出允许范围"),
    (
        lambda d: d["standard"].update(parameters={"revisit_weight": "x"}),
        "parameters.revisit_weight: 必须是数字",
    ),
    (lambda d: d["standard"].update(parameters=[1]), "parameters: 必须是键值对"),
    (lambda d: d["standard"].update(parameters={"x": [[1]]}), "parameters.x: 只支持"),
    (
        lambda d: d["standard"].update(parameters={"composite_weights": {"onsite": -1}}),
        "parameters.composite_weights: 权重“onsite”必须是非负数",
    ),
]


@pytest.mark.parametrize("mutate, expected", CASES)
def test_it_names_the_place_field_and_reason(db, starter_doc, mutate, expected):
    doc = copy.deepcopy(starter_doc)
    mutate(doc)
    messages = refuse(doc)
    assert any(m.startswith(expected) for m in messages), messages


def test_it_reports_every_problem_at_once(db, starter_doc):
    doc = copy.deepcopy(starter_doc)
    item(doc, 2, 4).update(deduct=-1)
    item(doc, 5, 0).update(mode="x")
    doc["standard"]["site_types"][9]["weight"] = 0
    messages = refuse(doc)
    assert len(messages) == 3
    assert any(m.startswith("site_types[2].items[4].deduct") for m in messages)
    assert any(m.startswith("site_types[5].items[0].mode") for m in messages)
    assert any(m.startswith("site_types[9].weight") for m in messages)


def test_it_accepts_a_veto_item_without_deduct_and_with_zero(db, starter_doc):
    doc = copy.deepcopy(starter_doc)
    item(doc, 8, 0)["deduct"] = 0
    standard = import_standard_yaml(yaml.safe_dump(doc, allow_unicode=True))
    assert CheckItem.objects.get(site_type__standard=standard, code="XX-01").mode == "veto"


def test_it_writes_nothing_when_the_last_item_is_bad(db, starter_doc):
    doc = copy.deepcopy(starter_doc)
    doc["standard"]["site_types"][-1]["items"][-1]["deadline_days"] = "明天"
    messages = refuse(doc)
    assert messages == ["site_types[9].items[3].deadline_days: 必须是整数"]
