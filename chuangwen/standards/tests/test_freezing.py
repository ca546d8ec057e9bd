"""A version a round has used is frozen: services, model saves and the admin all refuse to change it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from chuangwen.audit.models import AuditEntry
from chuangwen.standards.models import CheckItem, SiteType, Standard
from chuangwen.standards.services import (
    StandardFrozen,
    StandardValidationError,
    activate,
    derive_new_version,
    freeze,
    standard_document,
    update_check_item,
    update_parameters,
    update_site_type,
)


@pytest.fixture
def frozen(starter):
    return freeze(starter, "2026 年第 1 批次暗访")


def test_it_freezes_once_and_records_it(frozen):
    first = frozen.frozen_at
    assert frozen.frozen and frozen.frozen_reason == "2026 年第 1 批次暗访"
    assert freeze(frozen, "again").frozen_at == first
    assert AuditEntry.objects.filter(action="standard.freeze").count() == 1


def test_it_refuses_service_edits_on_a_frozen_version(frozen):
    item = CheckItem.objects.get(site_type__standard=frozen, code="ZD-01")
    with pytest.raises(StandardFrozen, match="冻结"):
        update_check_item(item, deduct=3)
    with pytest.raises(StandardFrozen):
        update_site_type(item.site_type, weight=2)
    with pytest.raises(StandardFrozen):
        update_parameters(frozen, {"min_sample": 3})
    item.refresh_from_db()
    assert item.deduct == 2


def test_it_refuses_model_saves_and_deletes_on_a_frozen_version(frozen):
    item = CheckItem.objects.get(site_type__standard=frozen, code="ZD-01")
    item.deduct = Decimal(3)
    with pytest.raises(StandardFrozen):
        item.save()
    with pytest.raises(StandardFrozen):
        item.delete()
    site_type = item.site_type
    site_type.name = "改名"
    with pytest.raises(StandardFrozen):
        site_type.save()
    with pytest.raises(StandardFrozen):
        SiteType(standard=frozen, code="NEW", name="新类型").save()
    with pytest.raises(StandardFrozen):
        CheckItem(
            site_type=site_type, code="ZD-99", category="x", text="x", mode="binary", duty="城管"
        ).save()
    standard = Standard.objects.get(pk=frozen.pk)
    standard.name = "改名"
    with pytest.raises(StandardFrozen):
        standard.save()
    standard = Standard.objects.get(pk=frozen.pk)
    standard.frozen_at = None
    with pytest.raises(StandardFrozen):
        standard.save()
    with pytest.raises(StandardFrozen):
        Standard.objects.get(pk=frozen.pk).delete()


def test_it_still_lets_a_frozen_version_be_switched_on_and_off(frozen):
    activate(frozen)
    standard = Standard.objects.get(pk=frozen.pk)
    assert standard.is_active
    standard.is_active = False
    standard.save()
    assert not Standard.objects.get(pk=frozen.pk).is_active


def test_it_derives_an_editable_copy(frozen):
    new = derive_new_version(frozen)
    assert (new.version, new.derived_from, new.frozen, new.is_active) == (2, frozen, False, False)
    old_doc, new_doc = standard_document(frozen), standard_document(new)
    assert old_doc.pop("version") == 1 and new_doc.pop("version") == 2
    assert old_doc == new_doc
    item = CheckItem.objects.get(site_type__standard=new, code="ZD-01")
    update_check_item(item, deduct=3, cap=15)
    assert CheckItem.objects.get(site_type__standard=frozen, code="ZD-01").deduct == 2
    assert CheckItem.objects.get(pk=item.pk).cap == 15
    assert AuditEntry.objects.filter(action="standard.derive").exists()
    assert AuditEntry.objects.filter(action="standard.item.update").exists()


def test_it_derives_the_next_free_version(starter):
    derive_new_version(starter)
    assert derive_new_version(starter).version == 3


def test_it_checks_edits_by_the_import_rules(starter):
    item = CheckItem.objects.get(site_type__standard=starter, code="ZD-01")
    with pytest.raises(StandardValidationError) as exc:
        update_check_item(item, cap=1)
    assert exc.value.messages == ["ZD-01.cap: 扣分上限不能小于单次扣分（2）"]
    with pytest.raises(StandardValidationError, match=re.escape("ZD-01.unit_label: 不能超过 20 个字符")):
        update_check_item(item, unit_label="很" * 21)
    with pytest.raises(StandardValidationError, match="编码“ZD-02”在本版本中已存在"):
        update_check_item(item, code="ZD-02")
    with pytest.raises(StandardValidationError, match=re.escape("ZD-01.site_type: 该字段不能修改")):
        update_check_item(item, site_type=None)
    with pytest.raises(StandardValidationError, match="weight: 必须大于 0"):
        update_site_type(item.site_type, weight=0)
    with pytest.raises(StandardValidationError, match=re.escape("parameters.min_sample")):
        update_parameters(starter, {"min_sample": "多"})
    veto = update_check_item(item, mode="veto")
    assert (veto.deduct, veto.cap) == (0, None)


@pytest.fixture
def admin_client(db):
    from chuangwen.accounts.models import User

    user = User.objects.create_superuser("root", password="Root-2026!pass", role="admin")
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_shows_a_frozen_version_read_only(admin_client, frozen):
    item = CheckItem.objects.get(site_type__standard=frozen, code="ZD-01")
    url = f"/admin/standards/checkitem/{item.pk}/change/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert b'name="_save"' not in response.content
    post = admin_client.post(url, {"code": "ZD-01", "deduct": "9"})
    assert post.status_code == 403
    assert CheckItem.objects.get(pk=item.pk).deduct == 2
    standard_page = admin_client.get(f"/admin/standards/standard/{frozen.pk}/change/")
    assert standard_page.status_code == 200 and not standard_page.context["has_change_permission"]
    site_type = item.site_type
    assert (
        admin_client.post(f"/admin/standards/sitetype/{site_type.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_the_admin_edits_a_draft_and_derives_versions(admin_client, frozen):
    response = admin_client.post(
        "/admin/standards/standard/",
        {"action": "derive_action", "_selected_action": [frozen.pk]},
        follow=True,
    )
    assert response.status_code == 200
    new = Standard.objects.get(code=frozen.code, version=2)
    assert new.derived_from == frozen
    item = CheckItem.objects.get(site_type__standard=new, code="ZD-01")
    page = admin_client.get(f"/admin/standards/checkitem/{item.pk}/change/")
    assert page.context["has_change_permission"]
    form = {
        "site_type": item.site_type_id, "code": "ZD-01", "category": item.category, "text": item.text,
        "mode": "per_occurrence", "deduct": "3", "cap": "1", "unit_label": "处", "severity": "general",
        "deadline_days": "5", "duty": "宣传", "sort_order": "1",
    }  # fmt: skip
    refused = admin_client.post(f"/admin/standards/checkitem/{item.pk}/change/", form)
    assert refused.status_code == 200 and "扣分上限不能小于单次扣分" in refused.content.decode()
    form["cap"] = "15"
    saved = admin_client.post(f"/admin/standards/checkitem/{item.pk}/change/", form)
    assert saved.status_code == 302
    assert CheckItem.objects.get(pk=item.pk).deduct == 3


def test_the_admin_checks_parameters_of_a_draft(admin_client, starter):
    form = {
        "code": starter.code, "name": starter.name, "site_score_formula": starter.site_score_formula,
        "parameters": '{"min_sample": 0}',
        "site_types-TOTAL_FORMS": "0", "site_types-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = admin_client.post(f"/admin/standards/standard/{starter.pk}/change/", form)
    assert response.status_code == 200 and "min_sample" in response.content.decode()
    form["parameters"] = '{"min_sample": 2}'
    assert admin_client.post(f"/admin/standards/standard/{starter.pk}/change/", form).status_code == 302
    starter.refresh_from_db()
    assert starter.parameters["min_sample"] == 2 and starter.parameters["revisit_weight"] == 1.5
