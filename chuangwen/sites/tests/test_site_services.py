import pytest
from django.core.exceptions import ValidationError

from chuangwen.audit.models import AuditEntry
from chuangwen.org.coords import wgs84_to_gcj02
from chuangwen.sites.models import Site
from chuangwen.sites.services import clean_site_type, save_site
from chuangwen.standards.models import SiteType, Standard
from conftest import make_user


def site_data(**overrides):
    data = {
        "code": "P0100",
        "name": "东城菜场",
        "site_type": "nm",
        "address": "东城路 1 号",
        "lng": 120.07,
        "lat": 30.02,
        "responsible_unit": "S02",
        "declared": True,
        "risk_tags": ["农贸周边"],
        "active": True,
    }
    return data | overrides


def test_it_creates_a_site_with_its_area_unit_and_audits_it(org, users):
    site = save_site(site_data(), users["coordinator"])
    assert (site.area_unit.code, site.area_note, site.site_type) == ("S02", "", "NM")
    assert site.responsible_unit == org["east"]
    assert AuditEntry.objects.filter(action="site_created", object_id=str(site.pk)).exists()


def test_it_converts_gcj02_input_to_wgs84(org, users):
    lng, lat = wgs84_to_gcj02(120.07, 30.02)
    site = save_site(site_data(lng=lng, lat=lat, coord_system="GCJ-02"), users["coordinator"])
    assert site.lng == pytest.approx(120.07, abs=2e-7)
    assert site.lat == pytest.approx(30.02, abs=2e-7)


def test_it_records_the_border_rule_in_the_note(org, users):
    site = save_site(site_data(lng=120.05, lat=30.02), users["coordinator"])
    assert (site.area_unit.code, site.area_note) == ("S01", "位于边界，按编码规则归属")


def test_it_refuses_a_point_far_outside_and_an_unknown_unit(org, users):
    with pytest.raises(ValidationError) as err:
        save_site(site_data(lng=120.2, responsible_unit="NOPE"), users["coordinator"])
    errors = err.value.message_dict
    assert errors["location"][0].startswith("点位不在辖区范围内（距最近边界")
    assert errors["responsible_unit"] == ["责任单位编码“NOPE”不存在"]
    assert not Site.objects.exists()


def test_it_detects_swapped_coordinates(org, users):
    with pytest.raises(ValidationError) as err:
        save_site(site_data(lng=30.02, lat=120.07), users["coordinator"])
    assert "似乎填反了" in err.value.message_dict["location"][0]


def test_it_keeps_people_to_their_own_subtree(org, sites):
    west_coord = make_user("west_coord", "coordinator", org["west"])
    with pytest.raises(ValidationError) as err:
        save_site(site_data(), west_coord)
    assert err.value.message_dict["responsible_unit"] == ["责任单位“S02”不在您的管辖范围内"]
    with pytest.raises(ValidationError) as err:
        save_site({"name": "改名"}, west_coord, site=sites["east_estate"])
    assert err.value.message_dict["code"] == ["该点位不在您的管辖范围内，不能修改"]


def test_it_updates_only_the_fields_given(org, users, sites):
    site = save_site(
        {"name": "西湖大道（北段）", "risk_tags": []}, users["coordinator"], site=sites["west_road"]
    )
    site.refresh_from_db()
    assert (site.name, site.risk_tags, site.declared, site.area_unit.code) == (
        "西湖大道（北段）",
        [],
        True,
        "S01C01",
    )


def test_it_refuses_a_duplicate_code_and_a_bad_polygon(org, users, sites):
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[120, 30], [120.01, 30.01], [120.01, 30], [120, 30.01], [120, 30]]],
    }
    with pytest.raises(ValidationError) as err:
        save_site(site_data(code="P0001", polygon=bow_tie), users["coordinator"])
    assert err.value.message_dict["code"] == ["点位编码“P0001”已存在"]
    assert "自相交" in err.value.message_dict["polygon"][0]


def test_site_types_follow_the_active_standard(db):
    assert clean_site_type("zd", None) == "ZD"
    with pytest.raises(ValueError, match="1–16 个英文字母"):
        clean_site_type("Z1", None)
    standard = Standard.objects.create(code="QG", version=1, name="全国测评体系", is_active=True)
    SiteType.objects.create(standard=standard, code="ZD", name="主次干道")
    with pytest.raises(ValueError, match="可选：ZD（主次干道）"):
        clean_site_type("NM", {"ZD": "主次干道"})
