"""The results workbook: the page's figures on the sheets 指标率, 测评标准 and 题目 (and 说明), cut to the
viewer's rows, audited, and never a formula from a name."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from chuangwen.audit.models import AuditEntry
from chuangwen.surveys.tests.published import fill, published, small_wave
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(org: Any, survey_people: Any, survey_questionnaire: Any, survey_clock: None) -> Any:
    org["west_c"].name = '=HYPERLINK("http://x")'  # a name a spreadsheet would run
    org["west_c"].save()
    wave = small_wave(org, survey_people, survey_questionnaire)
    fill(wave)
    return published(wave, survey_people["coordinator"])


def _book(user: Any, wave: Any) -> Any:
    response = client_for(user).get(reverse("surveys:results_export", args=[wave.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def test_it_exports_the_pages_figures_on_three_sheets(done: Any, org: Any, survey_people: Any) -> None:
    book = _book(survey_people["coordinator"], done)
    assert book.sheetnames == ["指标率", "测评标准", "题目", "说明"]
    rates = _rows(book["指标率"])
    assert rates[0][:4] == ("单位编码", "单位", "指标", "比率（%）")
    by_key = {(row[0], row[2]): row for row in rates[1:]}
    district = by_key[("D01", "支持率")]
    assert district[1] == "文明区（总体）" and district[3:6] == (65.0, 34.0, 96.0) and district[6] == 10
    west = by_key[("S01", "支持率")]
    assert west[3] == 100.0 and west[8] == "高于总体 35.0 个百分点" and west[9] == "不重叠"
    assert by_key[("S01C01", "知晓率")][3] == 56.3  # (3 × 0.625 + 0.375) / 4, rounded half up
    indicators = _rows(book["测评标准"])
    assert indicators[0][:2] == ("测评标准编号", "测评标准")
    traffic = [row for row in indicators[1:] if row[0] == "07-06-02" and row[2] == "D01"]
    assert traffic and traffic[0][4] == 0.0  # everybody dissatisfied with traffic
    questions = _rows(book["题目"])
    support = [row for row in questions[1:] if row[0] == "sp_support"]
    shares = {row[7]: row[8] for row in support}
    # 支持 (600 + 1 400 × 3/6) / 2 000; 不支持 1 400 × 2/6 / 2 000; 无所谓 1 400 × 1/6 / 2 000
    assert shares == {"支持": 65.0, "不支持": 23.3, "无所谓": 11.7}
    assert support[0][4:7] == (65.0, 34.0, 96.0)
    about = dict(_rows(book["说明"])[1:])
    assert about["结果状态"] == "已发布" and about["加权方法"] == "事后分层加权"
    assert about["计入结果的有效答卷"] == 10 and about["应知应会排除（不计入）"] == 0
    entry = AuditEntry.objects.get(action="survey.results.export", object_id=str(done.pk))
    assert entry.actor == survey_people["coordinator"] and entry.detail["units"] == 5


def test_it_keeps_names_as_text_and_cuts_rows_to_the_viewer(done: Any, org: Any, survey_people: Any) -> None:
    book = _book(survey_people["street"], done)
    rates = book["指标率"]
    codes = {row[0] for row in _rows(rates)[1:]}
    assert codes == {"D01", "S01", "S01C01"}  # the overall and the street head's own subtree
    cell = next(row[1] for row in rates.iter_rows(min_row=2) if row[0].value == "S01C01")
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"


def test_it_refuses_the_export_outside_the_viewers_scope(done: Any, org: Any, users: Any) -> None:
    city = make_user("city_coord", "coordinator", org["city"])
    assert client_for(city).get(reverse("surveys:results_export", args=[done.pk])).status_code == 404
    citizen = make_user("citizen", "citizen", org["west"])
    assert client_for(citizen).get(reverse("surveys:results_export", args=[done.pk])).status_code == 403
    assert not AuditEntry.objects.filter(action="survey.results.export").exists()
