"""The import/export pages: upload → background job → progress → error report; exports stay in scope."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from chuangwen.core.models import ImportJob
from chuangwen.core.tests.helpers import xlsx_bytes
from chuangwen.sites.models import Site
from conftest import client_for

HEADERS = [
    "点位编码",
    "点位名称",
    "点位类型",
    "地址",
    "经度",
    "纬度",
    "坐标系",
    "责任单位编码",
    "申报点位",
    "风险标签",
    "启用",
]


def upload(client, data, name="sites.xlsx", capture=None):
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    with capture(execute=True):
        return client.post("/transfer/sites/import/", {"file": file})


def test_it_imports_a_good_file_and_shows_the_finished_job(users, org, django_capture_on_commit_callbacks):
    client = client_for(users["coordinator"])
    data = xlsx_bytes(HEADERS, [["N001", "新建路", "ZD", "", 120.02, 30.05, "", "S01", "否", "", "是"]])
    response = upload(client, data, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert job.status == "succeeded" or ImportJob.objects.get().status == "succeeded"
    assert "导入成功" in page.content.decode()
    assert Site.objects.filter(code="N001").exists()


def test_it_offers_the_error_report_only_to_the_uploader(users, org, django_capture_on_commit_callbacks):
    client = client_for(users["coordinator"])
    data = xlsx_bytes(HEADERS, [["N002", "远方路", "ZD", "", 121.5, 31.0, "", "S01", "否", "", "是"]])
    response = upload(client, data, capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert not Site.objects.filter(code="N002").exists()
    page = client.get(response["Location"]).content.decode()
    assert "下载错误报告" in page
    report = client.get(f"/transfer/jobs/{job.pk}/errors.xlsx")
    assert report.status_code == 200
    sheets = load_workbook(io.BytesIO(b"".join(report.streaming_content))).sheetnames
    assert len(sheets) >= 1
    other = client_for(users["leader"])
    assert other.get(f"/transfer/jobs/{job.pk}/").status_code == 404
    assert other.get(f"/transfer/jobs/{job.pk}/errors.xlsx").status_code == 404


def test_it_refuses_a_file_that_is_not_xlsx_and_creates_no_job(users, django_capture_on_commit_callbacks):
    client = client_for(users["coordinator"])
    response = upload(
        client, b"MZ\x90\x00 not a spreadsheet", name="sites.xlsx", capture=django_capture_on_commit_callbacks
    )
    assert response.status_code == 400
    assert "xlsx" in response.content.decode().lower()
    assert ImportJob.objects.count() == 0


def test_it_forbids_import_to_a_handler(users):
    client = client_for(users["west_handler"])
    assert client.get("/transfer/sites/import/").status_code == 403
    assert client.get("/transfer/units/import/").status_code == 403
    assert client.get("/transfer/users/import/").status_code == 403


def test_it_exports_only_the_sites_in_scope(users, sites):
    response = client_for(users["west_handler"]).get("/transfer/sites/export.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    codes = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert codes == {"P0001", "P0002"}


def test_it_exports_the_filtered_sites(users, sites):
    response = client_for(users["coordinator"]).get("/transfer/sites/export.xlsx?declared=1")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert {row[0] for row in ws.iter_rows(min_row=2, values_only=True)} == {"P0001"}


def test_it_exports_users_only_to_admins_and_coordinators(users):
    assert client_for(users["west_handler"]).get("/transfer/users/export.xlsx").status_code == 403
    response = client_for(users["coordinator"]).get("/transfer/users/export.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    assert "west_handler" in {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}


def test_it_exports_a_street_only_its_own_units(users, org):
    response = client_for(users["west_handler"]).get("/transfer/units/export.xlsx")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert {row[0] for row in ws.iter_rows(min_row=2, values_only=True)} == {"S01", "S01C01"}


def test_it_answers_404_for_an_unknown_kind(users):
    assert client_for(users["coordinator"]).get("/transfer/cases/export.xlsx").status_code == 404
