"""The Content-Security-Policy: its header on every kind of response, and the violation reports it wants."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from chuangwen.core.models import CspReport
from chuangwen.settings import _tile_source
from conftest import client_for

STRICT = {
    "default-src": "'self'",
    "style-src": "'self' 'report-sample'",
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "object-src": "'none'",
    "report-uri": "/csp-report/",
}
REPORT = {
    "csp-report": {
        "document-uri": "http://testserver/cases/map/",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'",
        "disposition": "enforce",
        "blocked-uri": "inline",
        "line-number": 12,
        "column-number": 3,
        "source-file": "http://testserver/cases/map/",
        "status-code": 200,
        "script-sample": "window.__pwned=1",
    }
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def directives(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_strict(response: Any) -> None:
    policy = directives(response)
    for name, value in STRICT.items():
        assert policy[name] == value, (name, policy)
    assert policy["script-src"] == "'self' 'report-sample'"  # no nonce where no page asked for one
    assert "unsafe" not in response["Content-Security-Policy"]


def post_report(client: Client, body: Any, content_type: str = "application/csp-report", **extra: Any) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(reverse("core:csp_report"), data=data, content_type=content_type, **extra)


def test_it_sends_the_policy_on_html_json_and_error_responses(db: Any, users: Any) -> None:
    anonymous = Client()
    assert_strict(anonymous.get(reverse("accounts:login")))  # HTML
    assert_strict(anonymous.get(reverse("core:healthz")))  # JSON
    assert_strict(anonymous.get("/no-such-page/"))  # 404
    assert_strict(anonymous.get(reverse("core:csp_report")))  # 405
    assert_strict(anonymous.get("/api/v1/cases"))  # the API, refused without a login
    static = anonymous.get("/static/core/map.js")  # a static file (whitenoise)
    assert static.status_code == 200
    assert_strict(static)
    coordinator = client_for(users["coordinator"])
    assert_strict(coordinator.get(reverse("cases:map_geojson")))
    assert_strict(coordinator.get(reverse("cases:map")))
    assert_strict(coordinator.get("/open311/v2/services.json"))


def test_it_gives_the_phone_app_import_map_the_nonce_of_its_header(db: Any, users: Any) -> None:
    response = client_for(users["inspector"]).get(reverse("inspect:app"))
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", directives(response)["script-src"])
    assert nonce is not None
    assert f'<script type="importmap" nonce="{nonce.group(1)}">' in response.content.decode()
    assert "unsafe" not in response["Content-Security-Policy"]


def test_it_allows_the_configured_tile_server_and_nothing_else() -> None:
    assert _tile_source("") == []
    assert _tile_source("/tiles/{z}/{x}/{y}.png") == []
    assert _tile_source("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}&tk=K") == [
        "https://*.tianditu.gov.cn"
    ]
    assert _tile_source("http://10.0.0.5:8080/{z}/{x}/{y}.png") == ["http://10.0.0.5:8080"]


def test_it_stores_a_report_in_either_format(db: Any) -> None:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 test")
    response = post_report(client, REPORT)
    assert response.status_code == 204
    stored = CspReport.objects.get()
    assert stored.document_uri == "http://testserver/cases/map/"
    assert stored.violated_directive == "script-src-elem"
    assert stored.blocked_uri == "inline"
    assert (stored.source_file, stored.line_number, stored.column_number) == (
        "http://testserver/cases/map/",
        12,
        3,
    )
    assert stored.sample == "window.__pwned=1"
    assert stored.user_agent == "Mozilla/5.0 test"
    assert stored.address == "127.0.0.1"

    reporting_api = [
        {
            "type": "csp-violation",
            "age": 10,
            "url": "http://testserver/dashboards/",
            "user_agent": "Mozilla/5.0 test",
            "body": {
                "documentURL": "http://testserver/dashboards/",
                "effectiveDirective": "style-src-attr",
                "blockedURL": "inline",
                "sourceFile": "http://testserver/static/x.js",
                "lineNumber": 5,
                "columnNumber": 9,
                "sample": "color:red",
                "disposition": "enforce",
                "statusCode": 200,
            },
        },
        {"type": "deprecation", "body": {"id": "x"}},  # another kind of report: skipped
    ]
    assert post_report(client, reporting_api, "application/reports+json").status_code == 204
    second = CspReport.objects.exclude(pk=stored.pk).get()
    assert (second.document_uri, second.violated_directive, second.sample) == (
        "http://testserver/dashboards/",
        "style-src-attr",
        "color:red",
    )


def test_it_refuses_an_oversize_report(db: Any) -> None:
    big = {"csp-report": {**REPORT["csp-report"], "script-sample": "x" * 20_000}}
    response = post_report(Client(), big)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "16 KB" in response.json()["detail"]
    assert not CspReport.objects.exists()


def test_it_refuses_what_is_not_a_report_naming_the_problem(db: Any) -> None:
    client = Client()
    wrong_type = post_report(client, REPORT, "text/plain")
    assert wrong_type.status_code == 415
    assert "text/plain" in wrong_type.json()["detail"]
    not_json = post_report(client, b"{not json", "application/csp-report")
    assert not_json.status_code == 400
    assert "JSON" in not_json.json()["detail"]
    no_directive = post_report(client, {"csp-report": {"document-uri": "http://testserver/"}})
    assert no_directive.status_code == 400
    assert "violated-directive" in no_directive.json()["detail"]
    assert client.get(reverse("core:csp_report")).status_code == 405
    assert not CspReport.objects.exists()


def test_it_limits_reports_per_address(db: Any, settings: Any) -> None:
    settings.CSP_REPORT_RATE_LIMIT = 2
    client = Client()
    assert [post_report(client, REPORT).status_code for _ in range(3)] == [204, 204, 429]
    assert CspReport.objects.count() == 2
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert post_report(other, REPORT).status_code == 204


def test_it_shows_reports_to_admins_only_and_read_only(db: Any, users: Any) -> None:
    post_report(Client(), REPORT)
    report = CspReport.objects.get()
    admin = client_for(users["admin"])
    changelist = admin.get(reverse("admin:core_cspreport_changelist"))
    assert changelist.status_code == 200
    assert "script-src-elem" in changelist.content.decode()
    assert admin.get(reverse("admin:core_cspreport_change", args=[report.pk])).status_code == 200
    assert admin.get(reverse("admin:core_cspreport_add")).status_code == 403
    coordinator = client_for(users["coordinator"])
    assert coordinator.get(reverse("admin:core_cspreport_changelist")).status_code == 302  # to the login


def test_it_prunes_reports_after_180_days(db: Any) -> None:
    with time_machine.travel(datetime.fromisoformat("2026-01-01T08:00:00+08:00"), tick=False):
        post_report(Client(), REPORT)
    with time_machine.travel(datetime.fromisoformat("2026-06-29T08:00:00+08:00"), tick=False):
        cache.clear()
        post_report(Client(), REPORT)
        out = StringIO()
        call_command("csp-reports", "prune", stdout=out)
        assert "0" in out.getvalue()  # 179 days: kept
    with time_machine.travel(datetime.fromisoformat("2026-07-01T08:00:00+08:00"), tick=False):
        call_command("csp-reports", "prune", stdout=StringIO())
    assert list(CspReport.objects.values_list("received_at__month", flat=True)) == [6]


def test_it_reports_an_injected_inline_script(browser: Any, live_server: Any, transactional_db: Any) -> None:
    page = browser.new_page()
    page.add_init_script(
        "window.__violations = []; document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.effectiveDirective));"
    )
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    # What an injection would do: a script element with inline code. The policy refuses to run it.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';"
        " document.body.append(s); }"
    )
    page.wait_for_function("() => window.__violations.length > 0")
    assert page.evaluate("window.__violations") == ["script-src-elem"]
    assert page.evaluate("window.__pwned") is None
    for _ in range(50):
        if CspReport.objects.exists():
            break
        page.wait_for_timeout(100)
    report = CspReport.objects.get()
    assert report.effective_directive == "script-src-elem"
    assert report.blocked_uri == "inline"
    assert report.document_uri.endswith(reverse("accounts:login"))
    assert "window.__pwned" in report.sample
    page.close()
