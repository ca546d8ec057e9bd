"""A frozen version's indicator tree cannot change: saves, deletes and check item links all refuse."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from chuangwen.standards.models import CheckItem, Indicator, IndicatorContent, IndicatorProject
from chuangwen.standards.services import (
    StandardFrozen,
    StandardValidationError,
    derive_new_version,
    freeze,
    load_default_standard,
    standard_document,
)


@pytest.fixture
def draft(db):
    return load_default_standard()


@pytest.fixture
def frozen(draft):
    return freeze(draft, "2026 年第 1 批次网上申报")


def leaf_of(standard, code: str = "01-03-01") -> Indicator:
    return Indicator.objects.get(content__project__standard=standard, code=code)


def item_of(standard, code: str) -> CheckItem:
    return CheckItem.objects.get(site_type__standard=standard, code=code)


def test_it_refuses_saves_and_deletes_at_each_level(frozen):
    before = standard_document(frozen)
    project = IndicatorProject.objects.get(standard=frozen, code="01")
    content = IndicatorContent.objects.get(project=project, code="01-03")
    indicator = leaf_of(frozen)
    project.name, content.name, indicator.points = "改名", "改名", Decimal(9)
    for node in (project, content, indicator):
        with pytest.raises(StandardFrozen):
            node.save()
        with pytest.raises(StandardFrozen):
            node.delete()
    with pytest.raises(StandardFrozen):
        IndicatorProject(standard=frozen, code="09", name="新项目").save()
    with pytest.raises(StandardFrozen):
        IndicatorContent(project=project, code="01-09", name="新内容").save()
    with pytest.raises(StandardFrozen):
        Indicator(content=content, code="01-03-09", text="新标准", methods=["online"]).save()
    assert standard_document(frozen) == before


def test_it_refuses_moving_a_node_out_of_a_frozen_version(frozen, draft):
    other = derive_new_version(frozen)
    content = IndicatorContent.objects.get(project__standard=frozen, code="01-03")
    content.project = IndicatorProject.objects.get(standard=other, code="01")
    with pytest.raises(StandardFrozen):  # the stored row still belongs to the frozen version
        content.save()


def test_it_refuses_changing_links_on_a_frozen_version(frozen):
    indicator = leaf_of(frozen)
    extra, linked = item_of(frozen, "XX-02"), item_of(frozen, "XX-01")
    changes = [
        lambda: indicator.check_items.add(extra),
        lambda: indicator.check_items.remove(linked),
        lambda: indicator.check_items.clear(),
        lambda: indicator.check_items.set([extra]),
        lambda: linked.indicators.clear(),  # from the check item's side too
        lambda: extra.indicators.add(indicator),
    ]
    for change in changes:
        # The refusal comes from inside Django's own transaction of the link change: a caller that goes on
        # afterwards wraps the change in a savepoint, as here.
        with pytest.raises(StandardFrozen), transaction.atomic():
            change()
    assert [i.code for i in leaf_of(frozen).check_items.all()] == ["XX-01"]
    assert list(linked.indicators.values_list("code", flat=True).order_by("code")) == ["01-03-01", "08-01-05"]


def test_a_draft_changes_its_links_freely_within_its_version(draft):
    indicator = leaf_of(draft)
    indicator.check_items.add(item_of(draft, "XX-02"))
    indicator.check_items.remove(item_of(draft, "XX-01"))
    assert [i.code for i in indicator.check_items.all()] == ["XX-02"]
    indicator.text = "改写后的测评标准"
    indicator.save()
    assert leaf_of(draft).text == "改写后的测评标准"


def test_it_refuses_a_link_to_another_versions_check_item(frozen):
    draft = derive_new_version(frozen)
    with pytest.raises(StandardValidationError, match="同一标准版本"), transaction.atomic():
        leaf_of(draft).check_items.add(item_of(frozen, "XX-02"))
    other_draft = derive_new_version(draft)
    with pytest.raises(StandardValidationError, match="同一标准版本"), transaction.atomic():
        item_of(draft, "XX-02").indicators.add(leaf_of(other_draft))
    assert [i.code for i in leaf_of(draft).check_items.all()] == ["XX-01"]
    assert not item_of(draft, "XX-02").indicators.exclude(content__project__standard=draft).exists()


def test_a_derived_version_of_a_frozen_one_is_editable(frozen):
    draft = derive_new_version(frozen)
    project = IndicatorProject.objects.get(standard=draft, code="01")
    project.name = "理想信念教育"
    project.save()
    leaf_of(draft).check_items.clear()
    assert not leaf_of(draft).check_items.exists() and leaf_of(frozen).check_items.exists()
