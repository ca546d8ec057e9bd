from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from chuangwen.audit.models import AuditEntry
from chuangwen.standards.models import CheckItem, SiteType, Standard
from chuangwen.standards.services import (
    DEFAULT_PARAMETERS,
    DEFAULT_STANDARD_CODE,
    StandardImportError,
    import_standard_yaml,
    load_default_standard,
)


def dump(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def test_it_ships_the_reference_checklist_as_the_default():
    shipped = Path(__file__).resolve().parents[1] / "data" / "checklist.yaml"
    reference = Path("/work/shared/reference/checklist.yaml")
    if reference.exists():
        assert shipped.read_bytes() == reference.read_bytes()
    assert yaml.safe_load(shipped.read_text())["standard"]["code"] == DEFAULT_STANDARD_CODE


def test_it_imports_every_site_type_and_item_of_the_starter(starter, starter_doc):
    doc = starter_doc["standard"]
    assert starter.code == "CW-2026" and starter.version == 1
    assert starter.name == doc["name"]
    assert starter.site_score_formula == doc["site_score"]
    assert starter.site_types.count() == len(doc["site_types"])
    expected_items = sum(len(st["items"]) for st in doc["site_types"])
    assert CheckItem.objects.filter(site_type__standard=starter).count() == expected_items
    codes = list(starter.site_types.order_by("sort_order").values_list("code", flat=True))
    assert codes == [st["code"] for st in doc["site_types"]]


def test_it_preserves_every_field(starter, starter_doc):
    zd01 = CheckItem.objects.get(site_type__standard=starter, code="ZD-01")
    assert zd01.mode == "per_occurrence"
    assert zd01.deduct == Decimal("2") and zd01.cap == Decimal("12")
    assert zd01.unit_label == "处（缺少）" and zd01.severity == "general"
    assert zd01.deadline_days == 10 and zd01.duty == "宣传" and zd01.category == "公益广告"
    xx01 = CheckItem.objects.get(site_type__standard=starter, code="XX-01")
    assert xx01.mode == "veto" and xx01.deduct == 0 and xx01.cap is None
    assert xx01.severity == "serious" and xx01.deadline_days == 20 and xx01.duty == "文化执法"
    bj01 = CheckItem.objects.get(site_type__standard=starter, code="BJ-01")
    assert bj01.mode == "binary" and bj01.deduct == 5 and bj01.cap is None
    nm = SiteType.objects.get(standard=starter, code="NM")
    assert nm.name == "农贸市场及周边" and nm.weight == Decimal("1.2")
    assert nm.protocol == "市场内全域巡查，外围 50 米"
    by_code = {i.code: i for i in CheckItem.objects.filter(site_type__standard=starter)}
    for st in starter_doc["standard"]["site_types"]:
        for item in st["items"]:
            row = by_code[item["code"]]
            assert (row.text, row.mode, row.duty, row.deadline_days) == (
                item["text"], item["mode"], item["duty"], item["deadline_days"],
            )  # fmt: skip
            assert row.deduct == Decimal(str(item.get("deduct", 0)))


def test_it_fills_default_parameters_and_takes_given_ones(starter, starter_doc, db):
    assert starter.parameters == DEFAULT_PARAMETERS
    doc = copy.deepcopy(starter_doc)
    doc["standard"]["parameters"] = {"undeclared_weight": 2, "min_sample": 3, "note": "本地规则"}
    second = import_standard_yaml(dump(doc))
    assert second.parameters["undeclared_weight"] == 2
    assert second.parameters["min_sample"] == 3
    assert second.parameters["note"] == "本地规则"
    assert second.parameters["revisit_weight"] == DEFAULT_PARAMETERS["revisit_weight"]


def test_it_creates_the_next_version_on_reimport(starter, starter_text):
    again = import_standard_yaml(starter_text)
    third = import_standard_yaml(starter_text.encode())
    assert (again.version, third.version) == (2, 3)
    assert Standard.objects.filter(code="CW-2026").count() == 3
    assert CheckItem.objects.filter(site_type__standard=starter).count() == 56


def test_it_audits_an_import(starter):
    entry = AuditEntry.objects.filter(action="standard.import").get()
    assert entry.object_id == str(starter.pk)
    assert entry.detail["items"] == 56


def test_it_loads_the_default_once_and_activates_it(db):
    first = load_default_standard()
    again = load_default_standard()
    assert first.pk == again.pk
    first.refresh_from_db()
    assert first.is_active and first.code == "CW-2026" and first.version == 1
    assert Standard.objects.count() == 1


def test_it_accepts_top_level_parameters(starter_doc, db):
    doc = copy.deepcopy(starter_doc)
    doc["parameters"] = {"shrinkage_k": 8}
    assert import_standard_yaml(dump(doc)).parameters["shrinkage_k"] == 8


@pytest.mark.parametrize(
    "text, message",
    [
        ("standard: [1, 2", "YAML 格式错误"),
        ("- a\n- b\n", "standard: 缺少 standard 部分"),
        (b"\xff\xfe\x00bad", "UTF-8"),
    ],
)
def test_it_refuses_unreadable_files(db, text, message):
    with pytest.raises(StandardImportError) as exc:
        import_standard_yaml(text)
    assert message in str(exc.value)
    assert Standard.objects.count() == 0
