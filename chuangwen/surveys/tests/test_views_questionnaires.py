"""The questionnaire pages: the list by code and version, the preview a coordinator reads before fielding,
import of YAML and Excel files (a new version, or nothing and every problem by row), the starter, audited
downloads and 定稿 — and nothing for another district or a role without the survey pages."""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from chuangwen.audit.models import AuditEntry
from chuangwen.surveys import spec, xlsform
from chuangwen.surveys.models import Questionnaire, QuestionnaireState
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

SMALL = """
code: SMALL
title: 小问卷
sections:
  - code: main
    title: 主体
    questions:
      - code: aware
        kind: single
        text: 您知道创建吗？
        choices:
          - {value: "yes", label: 知道, score: 1}
          - {value: "no", label: 不知道, score: 0}
        measure: awareness
        indicator: "01-01-01"
      - {code: why, kind: text, text: 为什么不知道？, required: no, relevant: "${aware} = 'no'"}
"""


@pytest.fixture
def other_district(org: dict[str, Any]) -> Any:
    """A coordinator of a second district of the city: sees none of the first district's questionnaires."""
    from chuangwen.org.models import Unit, UnitKind

    unit = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    return make_user("other_coord", "coordinator", unit)


@pytest.fixture(autouse=True)
def _clock(survey_clock: None) -> None:
    """Import, export and 定稿 times are written and shown: the survey tests' fixed moment."""


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def html_of(response: Any) -> str:
    return response.content.decode()


def test_it_lists_questionnaires_by_code_with_versions_states_and_waves(survey_wave, users) -> None:
    questionnaire = survey_wave.questionnaire
    draft = spec.load_starter(questionnaire.owner_unit, users["coordinator"])
    page = client_for(users["coordinator"]).get(reverse("surveys:questionnaire_list"))
    assert page.status_code == 200
    html = html_of(page)
    assert html.count('data-code="WM_RESIDENT"') == 1  # one group for the code
    assert f'data-questionnaire="{draft.pk}" data-version="2"' in html
    assert f'data-questionnaire="{questionnaire.pk}" data-version="1"' in html
    assert "已定稿" in html and "草稿" in html
    assert reverse("surveys:wave", args=[survey_wave.pk]) in html and survey_wave.name in html
    assert reverse("surveys:questionnaire_freeze", args=[draft.pk]) in html
    assert reverse("surveys:questionnaire_freeze", args=[questionnaire.pk]) not in html
    assert 'id="starter-form"' in html and 'id="import-questionnaire"' in html


def test_it_shows_the_list_to_a_street_without_the_coordinators_buttons(survey_questionnaire, users) -> None:
    html = html_of(client_for(users["west_head"]).get(reverse("surveys:questionnaire_list")))
    assert "WM_RESIDENT" in html
    assert 'id="starter-form"' not in html and "questionnaire_freeze" not in html
    assert reverse("surveys:questionnaire_freeze", args=[survey_questionnaire.pk]) not in html


def test_it_keeps_the_pages_from_other_districts_and_other_roles(
    survey_questionnaire, other_district, org
) -> None:
    pk = survey_questionnaire.pk
    other = client_for(other_district)
    assert "WM_RESIDENT" not in html_of(other.get(reverse("surveys:questionnaire_list")))
    for name in (
        "surveys:questionnaire",
        "surveys:questionnaire_export_yaml",
        "surveys:questionnaire_export_xlsx",
    ):
        assert other.get(reverse(name, args=[pk])).status_code == 404
    assert other.post(reverse("surveys:questionnaire_freeze", args=[pk])).status_code == 404
    volunteer = client_for(make_user("vol", "volunteer", org["district"]))
    assert volunteer.get(reverse("surveys:questionnaire_list")).status_code == 403
    assert volunteer.get(reverse("surveys:questionnaire", args=[pk])).status_code == 403
    assert not AuditEntry.objects.filter(action="survey.questionnaire.export").exists()


def test_it_previews_sections_numbered_questions_choices_and_logic(org, users, tree_standard) -> None:
    questionnaire = spec.load(
        spec.read_yaml(SMALL.encode()), org["district"], users["coordinator"], tree_standard
    )
    page = client_for(users["west_head"]).get(reverse("surveys:questionnaire", args=[questionnaire.pk]))
    assert page.status_code == 200
    html = html_of(page)
    assert 'id="section-main"' in html and "主体" in html
    assert 'data-question="aware" value="1"' in html and 'data-question="why" value="2"' in html
    assert "您知道创建吗？" in html and "知道" in html and 'data-choice="yes"' in html
    assert "知晓率" in html and "选答" in html and "必答" in html
    assert "${aware} = &#x27;no&#x27;" in html  # the skip logic as written, escaped
    tree = reverse("standards:tree", args=[tree_standard.pk])
    assert f'href="{tree}#indicator-01-01-01"' in html
    assert "草稿" in html and "已定稿，修改请导入新版本" not in html


def test_it_says_a_frozen_questionnaire_changes_only_as_a_new_version(survey_wave, users) -> None:
    html = html_of(
        client_for(users["coordinator"]).get(
            reverse("surveys:questionnaire", args=[survey_wave.questionnaire_id])
        )
    )
    assert "已定稿，修改请导入新版本" in html and 'id="freeze-form"' not in html
    assert '<td class="cw-num">0.5</td>' in html and "1 — 365" in html  # scores and bounds as written
    main = html.split('id="questionnaire-info"')[1].split("<footer")[0]
    assert "<form" not in main and "<input" not in main  # nothing edits a question in place


def test_it_imports_a_yaml_file_and_then_its_next_version(users) -> None:
    client = client_for(users["coordinator"])
    url = reverse("surveys:questionnaire_import")
    assert client.get(url).status_code == 200
    answer = client.post(url, {"file": upload("small.yaml", SMALL.encode()), "standard": ""})
    first = Questionnaire.objects.get(code="SMALL")
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "surveys:questionnaire", args=[first.pk]
    )
    assert (
        first.version == 1 and first.owner_unit == users["coordinator"].unit and first.questions.count() == 2
    )
    again = client.post(
        url, {"file": upload("small.yml", SMALL.replace("小问卷", "小问卷（修订）").encode())}, follow=True
    )
    second = Questionnaire.objects.get(code="SMALL", version=2)
    assert second.title == "小问卷（修订）" and "第 2 版" in html_of(again)
    assert Questionnaire.objects.get(pk=first.pk).title == "小问卷"


def test_it_imports_an_excel_file_with_the_standard_chosen(
    users, survey_questionnaire, tree_standard
) -> None:
    data = xlsform.write_xlsx(
        spec.load(spec.read_yaml(SMALL.encode()), survey_questionnaire.owner_unit, None)
    )
    answer = client_for(users["coordinator"]).post(
        reverse("surveys:questionnaire_import"),
        {"file": upload("问卷.xlsx", data), "standard": tree_standard.pk},
    )
    stored = Questionnaire.objects.get(code="SMALL", version=2)
    assert answer.status_code == 302 and stored.standard == tree_standard


def test_it_lists_every_problem_of_a_bad_file_by_row_and_stores_nothing(users, tree_standard) -> None:
    data = xlsform.write_xlsx(spec.load(spec.read_yaml(SMALL.encode()), users["coordinator"].unit, None))
    before = Questionnaire.objects.count()

    def post(changes: dict[str, str], standard: Any = "") -> Any:
        wb = load_workbook(io.BytesIO(data))
        for cell, value in changes.items():
            wb["survey"][cell] = value
        out = io.BytesIO()
        wb.save(out)
        return client_for(users["coordinator"]).post(
            reverse("surveys:questionnaire_import"),
            {"file": upload("bad.xlsx", out.getvalue()), "standard": standard},
        )

    answer = post({"A4": "date"})  # rows: 1 column names, 2 begin_group, 3 aware, 4 why
    assert answer.status_code == 400
    html = html_of(answer)
    assert 'id="import-errors"' in html and "什么都没有保存" in html
    assert "不支持的题型“date”" in html and "<td data-row>4</td><td data-column>type</td>" in html
    answer = post({"B4": "aware", "H3": "09-09-09"}, tree_standard.pk)
    html = html_of(answer)
    assert answer.status_code == 400
    assert "<td data-row>4</td><td data-column>name</td><td>题目编号 aware 重复</td>" in html
    assert "<td data-row>3</td><td data-column>indicator</td><td>测评体系中没有标准 09-09-09</td>" in html
    assert Questionnaire.objects.count() == before
    bad_yaml = SMALL.replace("code: why", "code: aware").replace(
        'indicator: "01-01-01"', 'indicator: "09-09-09"'
    )
    answer = client_for(users["coordinator"]).post(
        reverse("surveys:questionnaire_import"),
        {"file": upload("bad.yaml", bad_yaml.encode()), "standard": tree_standard.pk},
    )
    html = html_of(answer)
    assert (
        answer.status_code == 400 and "题目编号 aware 重复" in html and "测评体系中没有标准 09-09-09" in html
    )
    assert Questionnaire.objects.count() == before


def test_it_refuses_a_file_of_another_kind_and_the_import_for_others(users, org) -> None:
    url = reverse("surveys:questionnaire_import")
    answer = client_for(users["coordinator"]).post(url, {"file": upload("问卷.docx", b"PK\x03\x04")})
    assert answer.status_code == 400 and "请上传 .yaml、.yml 或 .xlsx 文件" in html_of(answer)
    for who in ("west_head", "inspector", "leader"):
        client = client_for(users[who])
        assert client.get(url).status_code == 403
        assert client.post(url, {"file": upload("small.yaml", SMALL.encode())}).status_code == 403
        assert client.post(reverse("surveys:questionnaire_starter")).status_code == 403
    assert not Questionnaire.objects.exists()


def test_it_loads_the_starter_for_the_coordinators_office(users) -> None:
    client = client_for(users["coordinator"])
    url = reverse("surveys:questionnaire_starter")
    assert client.get(url).status_code == 405
    answer = client.post(url, {"standard": ""})
    starter = Questionnaire.objects.get(code="WM_RESIDENT")
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "surveys:questionnaire", args=[starter.pk]
    )
    assert starter.owner_unit == users["coordinator"].unit and starter.questions.count() == 19
    client.post(url, {"standard": ""})
    assert Questionnaire.objects.get(code="WM_RESIDENT", version=2)


def test_it_reports_starter_indicators_a_chosen_standard_lacks(users, tree_standard) -> None:
    answer = client_for(users["coordinator"]).post(
        reverse("surveys:questionnaire_starter"), {"standard": tree_standard.pk}
    )
    assert answer.status_code == 400 and "测评体系中没有标准 02-05-02" in html_of(answer)
    assert not Questionnaire.objects.exists()


def test_it_downloads_yaml_and_excel_and_audits_each(survey_questionnaire, users) -> None:
    client = client_for(users["west_head"])
    yaml_answer = client.get(reverse("surveys:questionnaire_export_yaml", args=[survey_questionnaire.pk]))
    assert yaml_answer.status_code == 200 and "WM_RESIDENT_v1.yaml" in yaml_answer["Content-Disposition"]
    assert yaml.safe_load(yaml_answer.content)["code"] == "WM_RESIDENT"
    xlsx_answer = client.get(reverse("surveys:questionnaire_export_xlsx", args=[survey_questionnaire.pk]))
    assert xlsx_answer.status_code == 200 and xlsx_answer["Content-Type"].startswith(
        "application/vnd.openxml"
    )
    assert xlsform.read_xlsx(xlsx_answer.content)["code"] == "WM_RESIDENT"
    entries = AuditEntry.objects.filter(action="survey.questionnaire.export").order_by("seq")
    assert [(e.detail["format"], e.actor) for e in entries] == [
        ("yaml", users["west_head"]),
        ("xlsx", users["west_head"]),
    ]
    assert {e.object_id for e in entries} == {str(survey_questionnaire.pk)}


def test_it_freezes_for_the_owner_offices_coordinator_only(survey_questionnaire, users) -> None:
    url = reverse("surveys:questionnaire_freeze", args=[survey_questionnaire.pk])
    assert client_for(users["west_head"]).post(url).status_code == 403
    assert client_for(users["leader"]).post(url).status_code == 403
    assert Questionnaire.objects.get(pk=survey_questionnaire.pk).state == QuestionnaireState.DRAFT
    answer = client_for(users["coordinator"]).post(url, follow=True)
    frozen = Questionnaire.objects.get(pk=survey_questionnaire.pk)
    assert frozen.state == QuestionnaireState.FROZEN and frozen.compiled
    assert "已定稿，修改请导入新版本" in html_of(answer)
    assert client_for(users["coordinator"]).post(url).status_code == 302  # again: nothing changes
    assert Questionnaire.objects.get(pk=frozen.pk).frozen_at == frozen.frozen_at
