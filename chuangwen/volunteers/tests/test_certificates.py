"""志愿服务证明: only the team's confirmed hours inside the period, frozen content, numbers unique and in
sequence per team and year, the PDF in the embedded CJK font with no glyph missing, the .docx with its
East-Asian font, the public check page with the masked name, and the audited downloads."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import Client
from docx import Document as open_docx
from pypdf import PdfReader

from chuangwen.audit.models import AuditEntry
from chuangwen.volunteers import attendance, certificates, services
from chuangwen.volunteers.models import Certificate
from chuangwen.volunteers.services import Refused
from chuangwen.volunteers.tests.fixtures_requests import NOW, served_volunteer, world
from conftest import client_for

pytestmark = pytest.mark.django_db
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def served(org: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
    w = world(org, users)
    return {**w, **served_volunteer(org, users, w)}


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return bytes(handle.read())


def test_it_certifies_only_the_teams_confirmed_hours_inside_the_period(
    served: dict[str, Any], users: dict[str, Any]
) -> None:
    v = served["volunteer"]
    made = certificates.issue(v, served["team"], *MARCH, served["team_manager"])
    assert made.number == "T-W-1-2026-00001" and made.minutes == 120 + 90
    content = made.content
    assert [a["title"] for a in content["activities"]] == ["社区助老服务", "垃圾分类宣传"]
    assert [a["date"] for a in content["activities"]] == ["2026-03-02", "2026-03-09"]
    assert [a["minutes"] for a in content["activities"]] == [120, 90]
    assert content["volunteer"] == {"number": v.number, "name": "志愿者1", "id_last4": v.id_last4}
    assert content["team"] == {"code": "T-W-1", "name": "西湖街道志愿服务队"}
    assert (content["hours"], content["minutes"], content["unit"]) == ("3.5", 210, "西湖街道")
    assert content["verify_url"].endswith(f"/v/certificates/{made.verify_token}/")
    assert made.issued_by == served["team_manager"] and made.pdf and made.docx
    assert AuditEntry.objects.filter(action="volunteer.certificate_issue").count() == 1
    # frozen: a later correction of hours does not change what was issued
    signup = served["first"].signups.get()
    attendance.confirm_hours(signup, users["west_handler"], minutes=60, reason="核减")
    made.refresh_from_db()
    assert made.minutes == 210 and made.content["activities"][0]["minutes"] == 120


def test_it_numbers_per_team_and_year_and_takes_the_next_number_on_a_clash(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    v, team, manager = served["volunteer"], served["team"], served["team_manager"]
    first = certificates.issue(v, team, *MARCH, manager)
    second = certificates.issue(v, team, date(2026, 2, 1), date(2026, 3, 31), manager)
    assert (first.number, second.number) == ("T-W-1-2026-00001", "T-W-1-2026-00002")
    assert second.minutes == 210 + 120  # February's activity as well
    real = certificates._next_number
    calls: list[str] = []

    def clashing(a_team: Any, year: int) -> str:
        calls.append("x")
        return first.number if len(calls) == 1 else real(a_team, year)  # another issuer took it meanwhile

    monkeypatch.setattr(certificates, "_next_number", clashing)
    third = certificates.issue(v, team, *MARCH, manager)
    assert third.number == "T-W-1-2026-00003" and len(calls) == 2
    numbers = list(Certificate.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 3
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(read(third.pdf))).pages)
    assert "T-W-1-2026-00003" in text and first.number not in text  # the files were made again


@pytest.mark.parametrize(
    ("who", "period", "code", "field"),
    [
        ("east_handler", MARCH, "forbidden", "team"),
        ("other_manager", MARCH, "forbidden", "team"),
        ("team_manager", (date(2026, 1, 1), date(2026, 1, 31)), "empty", "period_start"),
        ("team_manager", (date(2026, 3, 31), date(2026, 3, 1)), "invalid", "period_end"),
        ("team_manager", (date(1900, 1, 1), date(2026, 3, 1)), "invalid", "period_start"),
        ("team_manager", (date(2025, 1, 1), date(2026, 3, 1)), "invalid", "period_end"),
    ],
)
def test_it_refuses_naming_the_field_and_writes_nothing(
    served: dict[str, Any], users: dict[str, Any], who: str, period: tuple[date, date], code: str, field: str
) -> None:
    user = served.get(who) or users[who]
    with pytest.raises(Refused) as refusal:
        certificates.issue(served["volunteer"], served["team"], *period, user)
    assert (refusal.value.code, refusal.value.field) == (code, field) and refusal.value.message
    assert not Certificate.objects.exists()


def test_the_pdf_says_it_in_the_embedded_cjk_font_with_no_glyph_missing(
    served: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        made = certificates.issue(served["volunteer"], served["team"], *MARCH, served["team_manager"])
    assert not [r for r in caplog.records if "notdef" in r.getMessage().lower() or "glyph" in r.getMessage()]
    reader = PdfReader(io.BytesIO(read(made.pdf)))
    assert len(reader.pages) == 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    wanted_strings = [made.number, "志愿者1", served["volunteer"].number, "西湖街道志愿服务队", "3.5 小时"]
    wanted_strings += [
        "志愿服务证明",
        "社区助老服务",
        "垃圾分类宣传",
        "2026年3月16日",
        str(made.verify_token),
    ]
    for wanted in wanted_strings:
        assert wanted in text.replace("\n", ""), wanted
    assert "未确认的活动" not in text and "东城的活动" not in text and "二月的活动" not in text
    fonts = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            fonts.add(str(font["/BaseFont"]))
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object()
    assert fonts and all("WenQuanYi" in name for name in fonts), fonts
    first_page: Any = reader.pages[0]["/Resources"]
    assert "/XObject" in first_page  # the QR code


def test_the_docx_says_it_with_the_east_asian_font(served: dict[str, Any]) -> None:
    made = certificates.issue(served["volunteer"], served["team"], *MARCH, served["team_manager"])
    doc = open_docx(io.BytesIO(read(made.docx)))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    for wanted in (made.number, "志愿者1", "西湖街道志愿服务队", "3.5 小时", "社区助老服务", "1.5"):
        assert wanted in text, wanted
    assert str(made.verify_token) in text
    assert 'w:eastAsia="宋体"' in doc.element.body.xml and doc.inline_shapes  # the QR code


def test_the_public_check_page_masks_the_name_and_shows_the_hours(
    served: dict[str, Any], users: dict[str, Any]
) -> None:
    v = served["volunteer"]
    made = certificates.issue(v, served["team"], *MARCH, served["team_manager"])
    page = Client().get(f"/v/certificates/{made.verify_token}/").content.decode()
    assert made.number in page and "志*" in page and "志愿者1" not in page
    assert "3.5 小时" in page and "西湖街道志愿服务队" in page and "2026-03-01" in page
    assert v.phone not in page and v.id_last4 not in page
    assert '<dd id="activities">2</dd>' in page
    services.leave(v, None)
    page = Client().get(f"/v/certificates/{made.verify_token}/").content.decode()
    assert "已注销志愿者" in page and made.number in page
    assert Client().get("/v/certificates/7d3c0b9e-4f1a-4c55-9a57-0d5b9f3f2c11/").status_code == 404
    assert Client().get("/v/certificates/not-a-uuid/").status_code == 404


def test_downloads_are_for_the_team_the_staff_above_and_the_volunteer_and_are_audited(
    served: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    v = served["volunteer"]
    made = certificates.issue(v, served["team"], *MARCH, served["team_manager"])
    assert v.user is not None
    for user in (served["team_manager"], users["west_handler"], users["coordinator"], v.user):
        client = client_for(user)
        response = client.get(f"/volunteers/certificates/{made.pk}/pdf/")
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
        assert made.number in client.get("/volunteers/certificates/").content.decode()
    assert (
        client_for(users["east_handler"]).get(f"/volunteers/certificates/{made.pk}/docx/").status_code == 404
    )
    assert (
        client_for(served["other_manager"]).get(f"/volunteers/certificates/{made.pk}/pdf/").status_code == 404
    )
    assert client_for(v.user).get(f"/volunteers/certificates/{made.pk}/exe/").status_code == 404
    exports = AuditEntry.objects.filter(action="volunteer.certificate_export")
    last = exports.last()
    assert exports.count() == 4 and last is not None and last.detail == {"format": "pdf"}


def test_the_issue_form_issues_and_names_a_bad_field(served: dict[str, Any]) -> None:
    client = client_for(served["team_manager"])
    page = client.get("/volunteers/certificates/").content.decode()
    assert 'id="issue-form"' in page and "西湖街道志愿服务队" in page
    data = {
        "team": str(served["team"].pk),
        "volunteer": served["volunteer"].number,
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
    }
    bad = client.post("/volunteers/certificates/issue/", {**data, "volunteer": "ZY0"}, follow=True)
    assert "志愿者编号：请填写正确的志愿者编号" in bad.content.decode()
    bad = client.post("/volunteers/certificates/issue/", {**data, "period_end": "3月"}, follow=True)
    assert "服务期间止：请填写有效日期" in bad.content.decode()
    assert not Certificate.objects.exists()
    done = client.post("/volunteers/certificates/issue/", data, follow=True).content.decode()
    assert "已出具志愿服务证明 T-W-1-2026-00001" in done
