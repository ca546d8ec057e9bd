"""The survey home, a new wave, the wave's page (plan, margin of error, quota cells, staff, public links and
QR codes) and what the office does on it (plan, quotas, staff, open, close, publish), as its users see it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys import plan, services
from chuangwen.surveys.models import (
    PopulationFigure,
    QuotaCell,
    Response,
    ResponseStatus,
    StaffRole,
    Stratum,
    Wave,
    WaveStaff,
    WaveState,
)
from chuangwen.surveys.tests.fixtures import WAVE_DAYS, submission
from conftest import client_for, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("survey_clock")]


@pytest.fixture
def draft_wave(org: dict[str, Any], population: Any, survey_people: Any, survey_questionnaire: Any) -> Wave:
    """A wave in preparation, without a plan yet."""
    return plan.create_wave(
        survey_questionnaire, org["district"], "2027 年 1 月市民问卷", *WAVE_DAYS, ["interviewer", "self"],
        survey_people["coordinator"],
    )  # fmt: skip


@pytest.fixture
def other_office(org: dict[str, Any]) -> dict[str, Any]:
    """A second district of the city, with its own coordinator and a wave of its own."""
    district = Unit.objects.create(code="D02", name="新区", kind=UnitKind.DISTRICT, parent=org["city"])
    coordinator = make_user("coord2", "coordinator", district)
    from chuangwen.surveys.spec import load_starter

    questionnaire = load_starter(district, coordinator)
    street = Unit.objects.create(code="D02S01", name="新区街道", kind=UnitKind.STREET, parent=district)
    PopulationFigure.objects.create(unit=street, age_band="30-39", sex="f", count=500)
    wave = plan.create_wave(questionnaire, district, "新区问卷", *WAVE_DAYS, ["self"], coordinator)
    return {
        "district": district, "street": street, "coordinator": coordinator, "questionnaire": questionnaire,
        "wave": wave,
    }  # fmt: skip


def page(user: Any, name: str, *args: Any) -> Any:
    return client_for(user).get(reverse(f"surveys:{name}", args=args))


def post(user: Any, name: str, *args: Any, data: dict[str, Any] | None = None) -> Any:
    return client_for(user).post(reverse(f"surveys:{name}", args=args), data or {})


def row(html: str, attribute: str, value: str) -> str:
    found = re.search(rf'<tr[^>]*{attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no row {attribute}={value}"
    return found.group(1)


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert found, name
    return found.group(1)


def state_of(wave: Wave) -> tuple[str, list[tuple[str, int, int]]]:
    wave.refresh_from_db()
    strata = [(s.unit.code, s.target, s.filled) for s in wave.strata.select_related("unit")]
    return wave.state, strata


# --- the home -----------------------------------------------------------------------------------------------


def test_it_lists_the_waves_with_progress_and_the_offices_buttons(survey_wave, survey_people):
    services.submit(survey_wave, submission(survey_wave.strata.first()), "interviewer")
    html = page(survey_people["coordinator"], "index").content.decode()
    line = row(html, "data-wave", str(survey_wave.pk))
    assert "2026 年 12 月市民问卷" in line and "调查中" in line and "文明区" in line
    assert (
        figure(line, "filled") == "1" and figure(line, "target") == "40" and figure(line, "progress") == "2%"
    )
    assert 'id="new-wave"' in html and reverse("surveys:population") in html
    assert reverse("surveys:coaching") in html


def test_it_shows_a_street_the_districts_waves_without_the_offices_buttons(survey_wave, survey_people):
    response = page(survey_people["street"], "index")
    html = response.content.decode()
    assert response.status_code == 200 and f'data-wave="{survey_wave.pk}"' in html
    assert 'id="new-wave"' not in html


def test_it_shows_an_interviewer_the_waves_of_which_he_is_staff(survey_wave, survey_people):
    html = page(survey_people["interviewer"], "index").content.decode()
    mine = re.search(r'id="my-waves">(.*?)</section>', html, re.S)
    assert mine and "2026 年 12 月市民问卷" in mine.group(1) and "调查员" in mine.group(1)
    other = page(survey_people["other_inspector"], "index").content.decode()
    assert 'id="my-waves"' not in other  # an inspector who is not on the staff


def test_it_refuses_the_survey_pages_to_a_role_without_them(org, survey_wave):
    volunteer = make_user("vol", "volunteer", org["west"])
    for name, args in (("index", ()), ("wave", (survey_wave.pk,)), ("population", ()), ("coaching", ())):
        assert page(volunteer, name, *args).status_code == 403, name


# --- a new wave ---------------------------------------------------------------------------------------------


def wave_data(questionnaire: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "2027 年春季问卷",
        "questionnaire": questionnaire.pk,
        "starts_on": "2026-12-15",
        "ends_on": "2027-01-15",
        "modes": ["interviewer", "phone"],
        "min_seconds": "180",
        "max_distance_m": "500",
        "straightline_min": "6",
        "callback_percent": "15",
        "coaching_days": "45",
    }
    data.update(overrides)
    return data


def test_it_creates_a_wave_for_the_coordinators_office(org, survey_people, survey_questionnaire):
    response = post(survey_people["coordinator"], "wave_create", data=wave_data(survey_questionnaire))
    wave = Wave.objects.get(name="2027 年春季问卷")
    assert response.status_code == 302 and response["Location"] == reverse("surveys:wave", args=[wave.pk])
    assert wave.owner_unit == org["district"] and wave.state == WaveState.DRAFT
    assert wave.modes == ["interviewer", "phone"]
    assert (wave.min_seconds, wave.max_distance_m, wave.straightline_min) == (180, 500, 6)
    assert (wave.callback_percent, wave.coaching_days) == (15, 45)


def test_it_names_each_bad_field_of_a_new_wave_and_creates_nothing(survey_people, survey_questionnaire):
    bad = wave_data(
        survey_questionnaire, ends_on="2026-12-01", modes=[], callback_percent="150", starts_on="2099-01-01"
    )
    response = post(survey_people["coordinator"], "wave_create", data=bad)
    html = response.content.decode()
    assert response.status_code == 400 and not Wave.objects.exists()
    assert "开始日期：开始日期须在" in html
    assert "调查方式：" in html and "回访抽取比例（%）：" in html
    late = post(
        survey_people["coordinator"],
        "wave_create",
        data=wave_data(survey_questionnaire, ends_on="2026-12-01"),
    )
    assert late.status_code == 400 and "结束日期：结束日期早于开始日期" in late.content.decode()
    assert not Wave.objects.exists()


def test_it_offers_only_the_lineages_questionnaires(survey_people, survey_questionnaire, other_office):
    form = page(survey_people["coordinator"], "wave_create").content.decode()
    assert f'value="{survey_questionnaire.pk}"' in form
    assert f'value="{other_office["questionnaire"].pk}"' not in form
    response = post(
        survey_people["coordinator"], "wave_create", data=wave_data(other_office["questionnaire"])
    )
    assert response.status_code == 400 and "问卷：" in response.content.decode()
    assert not Wave.objects.filter(owner_unit=survey_people["coordinator"].unit).exists()


def test_it_lets_only_coordinators_create_waves(survey_people, survey_questionnaire):
    for who in ("street", "interviewer", "supervisor"):
        assert page(survey_people[who], "wave_create").status_code == 403
        assert (
            post(survey_people[who], "wave_create", data=wave_data(survey_questionnaire)).status_code == 403
        )
    assert not Wave.objects.exists()


# --- the wave's page ----------------------------------------------------------------------------------------


def test_it_shows_the_plan_with_its_margin_of_error_per_stratum(survey_wave, survey_people):
    html = page(survey_people["coordinator"], "wave", survey_wave.pk).content.decode()
    plan_figures = re.search(r'id="plan-figures">(.*?)</div>\s*<p', html, re.S)
    assert plan_figures
    assert figure(plan_figures.group(1), "target") == "40"
    assert figure(plan_figures.group(1), "population") == "4000"
    # overall: 1.96·√(Σ Wₕ²·¼/nₕ·(1 − nₕ/Nₕ)) with (1 000, 12) and (3 000, 28)
    assert figure(plan_figures.group(1), "margin") == "±15.5 个百分点"
    west, east = row(html, "data-stratum", "S01C01"), row(html, "data-stratum", "S02C01")
    assert figure(west, "population") == "1000" and figure(west, "target") == "12"
    assert figure(west, "margin") == "±28.1 个百分点"  # 1.96·√(¼/12)·√(988/999)
    assert figure(east, "target") == "28" and figure(east, "margin") == "±18.4 个百分点"


def test_it_marks_a_full_quota_cell_and_a_full_stratum(survey_wave, survey_people):
    west = survey_wave.strata.get(unit__code="S01C01")
    cell = QuotaCell.objects.get(stratum=west, age_band="30-39", sex="f")
    for _n in range(cell.target):
        services.submit(survey_wave, submission(west), "interviewer")
    html = page(survey_people["coordinator"], "wave", survey_wave.pk).content.decode()
    cells = re.search(r'data-cells="S01C01">(.*?)</table>', html, re.S)
    assert cells
    full = row(cells.group(1), "data-cell", "30-39-f")
    assert "已满" in full and figure(full, "filled") == str(cell.target)
    assert "已满" not in row(cells.group(1), "data-cell", "30-39-m")
    assert "已满" not in row(html, "data-stratum", "S01C01")


def test_it_gives_each_stratum_a_public_link_and_a_qr_code(survey_wave, survey_people):
    html = page(survey_people["coordinator"], "wave", survey_wave.pk).content.decode()
    west = survey_wave.strata.get(unit__code="S01C01")
    assert f"http://testserver/q/{west.token}/" in row(html, "data-link", "S01C01")
    qr = page(survey_people["interviewer"], "wave_qr", survey_wave.pk, west.pk)
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<?xml") and b"<svg" in qr.content


def test_it_keeps_the_public_links_to_the_office_and_the_staff(survey_wave, survey_people, other_office):
    west = survey_wave.strata.get(unit__code="S01C01")
    html = page(survey_people["street"], "wave", survey_wave.pk).content.decode()
    assert west.token not in html and 'id="public-links"' not in html
    assert page(survey_people["street"], "wave_qr", survey_wave.pk, west.pk).status_code == 403
    assert page(survey_people["other_inspector"], "wave_qr", survey_wave.pk, west.pk).status_code == 403
    other = other_office["coordinator"]
    assert page(other, "wave_qr", survey_wave.pk, west.pk).status_code == 404
    mine = other_office["wave"]
    assert page(survey_people["coordinator"], "wave_qr", mine.pk, west.pk).status_code == 404


def test_it_shows_a_street_the_wave_but_not_the_offices_forms(survey_wave, survey_people):
    response = page(survey_people["street"], "wave", survey_wave.pk)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="strata"' in html
    assert 'id="close-wave"' not in html and 'id="staff-form"' not in html and 'name="target"' not in html
    coordinator = page(survey_people["coordinator"], "wave", survey_wave.pk).content.decode()
    assert 'id="close-wave"' in coordinator and 'id="staff-form"' in coordinator
    assert 'name="target"' in coordinator


def test_it_hides_another_offices_wave(survey_people, other_office):
    wave = other_office["wave"]
    assert page(survey_people["coordinator"], "wave", wave.pk).status_code == 404
    assert page(survey_people["street"], "wave", wave.pk).status_code == 404
    for name in ("wave_open", "wave_close", "wave_publish", "wave_plan", "wave_staff"):
        assert post(survey_people["coordinator"], name, wave.pk).status_code == 404, name
    plan.build_plan(wave, [other_office["street"]], 10, 0, other_office["coordinator"])
    cell = QuotaCell.objects.filter(stratum__wave=wave).first()
    assert cell is not None
    response = post(survey_people["coordinator"], "wave_cell", wave.pk, cell.pk, data={"target": "0"})
    assert response.status_code == 404 and QuotaCell.objects.get(pk=cell.pk).target == cell.target
    index = page(survey_people["coordinator"], "index").content.decode()
    assert f'data-wave="{wave.pk}"' not in index


def test_it_refuses_a_streets_posts_on_the_districts_wave(survey_wave, survey_people, org):
    street, wave = survey_people["street"], survey_wave
    cell = QuotaCell.objects.filter(stratum__wave=wave).first()
    assert cell is not None
    assert post(street, "wave_close", wave.pk).status_code == 403
    assert post(street, "wave_publish", wave.pk).status_code == 403
    assert post(street, "wave_cell", wave.pk, cell.pk, data={"target": "0"}).status_code == 403
    data = {"action": "add", "user": street.pk, "role": "interviewer"}
    assert post(street, "wave_staff", wave.pk, data=data).status_code == 403
    plan_data = {"units": [org["west_c"].pk], "total": "10", "minimum": "0"}
    assert post(street, "wave_plan", wave.pk, data=plan_data).status_code == 403
    # staff of the wave see it, but do not run it either
    assert post(survey_people["supervisor"], "wave_close", wave.pk).status_code == 403
    assert state_of(wave)[0] == WaveState.FIELDING and cell.target == QuotaCell.objects.get(pk=cell.pk).target


# --- the plan -----------------------------------------------------------------------------------------------


def test_it_builds_the_plan_of_a_wave_in_preparation(draft_wave, survey_people, org):
    data = {"units": [org["west_c"].pk, org["east_c"].pk], "total": "100", "minimum": "10"}
    response = post(survey_people["coordinator"], "wave_plan", draft_wave.pk, data=data)
    assert response.status_code == 302
    # 10 each, the other 80 by residents 1 000 : 3 000
    assert state_of(draft_wave)[1] == [("S01C01", 30, 0), ("S02C01", 70, 0)]
    assert QuotaCell.objects.filter(stratum__wave=draft_wave).count() == 20
    html = page(survey_people["coordinator"], "wave", draft_wave.pk).content.decode()
    assert figure(row(html, "data-stratum", "S02C01"), "target") == "70" and 'id="open-wave"' in html


def test_it_refuses_a_street_with_its_own_community_in_one_plan(draft_wave, survey_people, org):
    data = {"units": [org["west"].pk, org["west_c"].pk], "total": "50", "minimum": "0"}
    response = post(survey_people["coordinator"], "wave_plan", draft_wave.pk, data=data)
    assert response.status_code == 400 and "不能同时选择街道和它下属的社区" in response.content.decode()
    assert not Stratum.objects.filter(wave=draft_wave).exists()


def test_it_names_the_bad_fields_of_a_plan_and_changes_nothing(draft_wave, survey_people, org, other_office):
    bad = {"units": [other_office["district"].pk], "total": "0", "minimum": "-1"}
    response = post(survey_people["coordinator"], "wave_plan", draft_wave.pk, data=bad)
    html = response.content.decode()
    assert response.status_code == 400
    assert "样本街道或社区：" in html and "样本总量：" in html and "每层最少样本：" in html
    no_people = {"units": [org["west"].pk, org["east_c"].pk], "total": "50", "minimum": "60"}
    response = post(survey_people["coordinator"], "wave_plan", draft_wave.pk, data=no_people)
    assert response.status_code == 400 and "每层最少样本应在 0 到样本总量之间" in response.content.decode()
    assert not Stratum.objects.filter(wave=draft_wave).exists()


def test_it_asks_for_population_figures_before_a_plan(draft_wave, survey_people, org):
    empty = Unit.objects.create(code="S02C02", name="新桥社区", kind=UnitKind.COMMUNITY, parent=org["east"])
    data = {"units": [org["west_c"].pk, empty.pk], "total": "50", "minimum": "0"}
    response = post(survey_people["coordinator"], "wave_plan", draft_wave.pk, data=data)
    assert response.status_code == 400
    assert "以下单位还没有人口数，请先录入或导入：新桥社区" in response.content.decode()
    assert not Stratum.objects.filter(wave=draft_wave).exists()


def test_it_refuses_a_new_plan_once_fielding(survey_wave, survey_people, org):
    before = state_of(survey_wave)
    data = {"units": [org["west_c"].pk], "total": "10", "minimum": "0"}
    response = post(survey_people["coordinator"], "wave_plan", survey_wave.pk, data=data)
    assert response.status_code == 400 and "样本计划只能调整配额" in response.content.decode()
    assert state_of(survey_wave) == before


# --- quota cells --------------------------------------------------------------------------------------------


def test_it_changes_a_cells_quota_and_the_strata_target(survey_wave, survey_people):
    west = survey_wave.strata.get(unit__code="S01C01")
    cell = QuotaCell.objects.get(stratum=west, age_band="18-29", sex="m")
    before = west.target
    data = {"target": str(cell.target + 3)}
    response = post(survey_people["coordinator"], "wave_cell", survey_wave.pk, cell.pk, data=data)
    assert response.status_code == 302
    assert Stratum.objects.get(pk=west.pk).target == before + 3


def test_it_refuses_a_quota_below_what_the_cell_holds(survey_wave, survey_people):
    west = survey_wave.strata.get(unit__code="S01C01")
    services.submit(survey_wave, submission(west), "interviewer")
    cell = QuotaCell.objects.get(stratum=west, age_band="30-39", sex="f")
    response = post(survey_people["coordinator"], "wave_cell", survey_wave.pk, cell.pk, data={"target": "0"})
    assert response.status_code == 400 and "配额应在已完成数 1 到" in response.content.decode()
    text = post(survey_people["coordinator"], "wave_cell", survey_wave.pk, cell.pk, data={"target": "多"})
    assert text.status_code == 400 and "配额：" in text.content.decode()
    assert QuotaCell.objects.get(pk=cell.pk).target == cell.target


def test_it_finds_a_cell_only_in_its_own_wave(survey_wave, survey_people, draft_wave, org):
    plan.build_plan(draft_wave, [org["west_c"]], 10, 0, survey_people["coordinator"])
    other_cell = QuotaCell.objects.filter(stratum__wave=draft_wave).first()
    assert other_cell is not None
    data = {"target": "5"}
    assert (
        post(survey_people["coordinator"], "wave_cell", survey_wave.pk, other_cell.pk, data=data).status_code
        == 404
    )


# --- staff --------------------------------------------------------------------------------------------------


def test_it_adds_changes_and_removes_staff(survey_wave, survey_people, users):
    verifier = users["verifier"]
    coordinator = survey_people["coordinator"]
    data = {"action": "add", "user": verifier.pk, "role": "interviewer"}
    assert post(coordinator, "wave_staff", survey_wave.pk, data=data).status_code == 302
    assert services.staff_role(survey_wave, verifier) == StaffRole.INTERVIEWER
    data["role"] = "supervisor"
    post(coordinator, "wave_staff", survey_wave.pk, data=data)
    assert services.may_review(survey_wave, verifier)
    html = page(coordinator, "wave", survey_wave.pk).content.decode()
    assert "督导" in row(html, "data-staff", "verifier")
    response = post(coordinator, "wave_staff", survey_wave.pk, data={"action": "remove", "user": verifier.pk})
    assert response.status_code == 302 and not WaveStaff.objects.filter(user=verifier).exists()


def test_it_refuses_staff_from_outside_the_offices_tree(survey_wave, survey_people, other_office):
    data = {"action": "add", "user": other_office["coordinator"].pk, "role": "interviewer"}
    response = post(survey_people["coordinator"], "wave_staff", survey_wave.pk, data=data)
    assert response.status_code == 400 and "人员：" in response.content.decode()
    no_role = {"action": "add", "user": survey_people["other_inspector"].pk}
    response = post(survey_people["coordinator"], "wave_staff", survey_wave.pk, data=no_role)
    assert response.status_code == 400 and "请选择职责（调查员或督导）" in response.content.decode()
    assert WaveStaff.objects.filter(wave=survey_wave).count() == 2


# --- open, close, publish -----------------------------------------------------------------------------------


def test_it_asks_for_a_plan_before_opening(draft_wave, survey_people):
    response = post(survey_people["coordinator"], "wave_open", draft_wave.pk)
    assert response.status_code == 400 and "请先生成样本计划" in response.content.decode()
    assert state_of(draft_wave)[0] == WaveState.DRAFT


def test_it_opens_closes_and_publishes_a_wave(draft_wave, survey_people, org):
    coordinator = survey_people["coordinator"]
    plan.build_plan(draft_wave, [org["west_c"], org["east_c"]], 20, 2, coordinator)
    assert post(coordinator, "wave_open", draft_wave.pk).status_code == 302
    draft_wave.refresh_from_db()
    assert draft_wave.state == WaveState.FIELDING and draft_wave.questionnaire.is_frozen
    services.submit(draft_wave, submission(draft_wave.strata.first()), "interviewer")
    assert post(coordinator, "wave_close", draft_wave.pk).status_code == 302
    response = post(coordinator, "wave_publish", draft_wave.pk)
    assert response.status_code == 302
    draft_wave.refresh_from_db()
    assert draft_wave.state == WaveState.PUBLISHED and draft_wave.results is not None
    html = page(coordinator, "wave", draft_wave.pk).content.decode()
    assert "结果已发布" in html and 'id="publish-wave"' not in html and 'name="target"' not in html


def test_it_refuses_to_publish_while_interviews_wait_for_review(survey_wave, survey_people):
    coordinator = survey_people["coordinator"]
    west = survey_wave.strata.get(unit__code="S01C01")
    quick = submission(west)
    quick.submitted_at = quick.started_at + timedelta(seconds=30)  # under the 120 s minimum: flagged
    services.submit(survey_wave, quick, "interviewer")
    assert Response.objects.filter(status=ResponseStatus.FLAGGED).count() == 1
    post(coordinator, "wave_close", survey_wave.pk)
    response = post(coordinator, "wave_publish", survey_wave.pk)
    assert response.status_code == 400
    assert "还有 1 份待审核的答卷，请先审核再发布" in response.content.decode()
    assert state_of(survey_wave)[0] == WaveState.CLOSED


def test_it_refuses_to_close_a_wave_in_preparation(draft_wave, survey_people):
    response = post(survey_people["coordinator"], "wave_close", draft_wave.pk)
    assert response.status_code == 400 and "只有调查中的轮次可以结束" in response.content.decode()
