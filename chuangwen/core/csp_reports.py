"""Content-Security-Policy violation reports: reading what browsers send, storing it, pruning it.

Browsers post reports anonymously, in two shapes: ``application/csp-report`` (the ``report-uri`` directive,
one ``{"csp-report": {...}}`` object with kebab-case keys) and ``application/reports+json`` (the Reporting
API, a list of ``{"type": "csp-violation", "body": {...}}`` with camelCase keys). Both become ``CspReport``
rows. The endpoint is open to anyone, so what it takes is bounded: the body size, the reports per body, the
reports per address and time window, and every field's length.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.core.models import CspReport

CONTENT_TYPES = ("application/csp-report", "application/reports+json", "application/json")
# A browser batches a few reports per body; more than this in one body is not a browser.
MAX_REPORTS_PER_BODY = 20

# Our field ← the key in a report-uri body, the key in a Reporting API body.
FIELDS = {
    "document_uri": ("document-uri", "documentURL"),
    "violated_directive": ("violated-directive", "effectiveDirective"),
    "effective_directive": ("effective-directive", "effectiveDirective"),
    "blocked_uri": ("blocked-uri", "blockedURL"),
    "source_file": ("source-file", "sourceFile"),
    "sample": ("script-sample", "sample"),
    "disposition": ("disposition", "disposition"),
}
NUMBERS = {"line_number": ("line-number", "lineNumber"), "column_number": ("column-number", "columnNumber")}


class ReportRefused(Exception):
    """The body is not a CSP report: ``status`` is the HTTP answer, ``code`` a stable name for programs and
    the message (Chinese) names what is wrong."""

    def __init__(self, message: str, code: str = "invalid", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


# Every text is cut to its column's length: a browser's report is never refused for a long URL.
LIMITS = {f.name: f.max_length or 0 for f in CspReport._meta.get_fields() if isinstance(f, models.CharField)}


def _text(value: Any, field: str) -> str:
    return ("" if value is None else str(value))[: LIMITS[field]]


def _number(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if 0 <= value < 2**31 else None


def _violation(body: Any, style: int) -> dict[str, Any]:
    """One report's fields; ``style`` 0 reads report-uri keys, 1 reads Reporting API keys."""
    if not isinstance(body, dict):
        raise ReportRefused(_("报告内容格式不正确：应为 JSON 对象"))
    values: dict[str, Any] = {field: _text(body.get(keys[style]), field) for field, keys in FIELDS.items()}
    values.update({field: _number(body.get(keys[style])) for field, keys in NUMBERS.items()})
    if not (values["violated_directive"] or values["effective_directive"]):
        raise ReportRefused(_("报告缺少字段：violated-directive / effectiveDirective"))
    return values


def parse(raw: bytes, content_type: str) -> list[dict[str, Any]]:
    """The violations in one request body (refused when it is not a CSP report of either shape)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in CONTENT_TYPES:
        raise ReportRefused(_("不支持的内容类型：%(type)s") % {"type": kind or "—"}, "unsupported_type", 415)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ReportRefused(_("报告内容不是有效的 JSON")) from None
    if isinstance(data, dict) and "csp-report" in data:
        return [_violation(data["csp-report"], 0)]
    if isinstance(data, list):
        if len(data) > MAX_REPORTS_PER_BODY:
            raise ReportRefused(
                _("一次提交的报告过多（最多 %(n)d 条）") % {"n": MAX_REPORTS_PER_BODY}, "too_many", 413
            )
        # Other report types (deprecation, intervention …) may share the endpoint: they are skipped.
        return [
            _violation(item.get("body"), 1)
            for item in data
            if isinstance(item, dict) and item.get("type") == "csp-violation"
        ]
    raise ReportRefused(_("报告内容格式不正确：缺少 csp-report"))


def allow(address: str | None) -> bool:
    """Count one report body against the sender's address; False once the window's limit is reached."""
    key = f"csp-report:{address or 'unknown'}"
    window = settings.CSP_REPORT_RATE_WINDOW_SECONDS
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return True
    return count <= settings.CSP_REPORT_RATE_LIMIT


def store(violations: list[dict[str, Any]], *, user_agent: str, address: str | None) -> list[CspReport]:
    now = timezone.now()
    rows = [
        CspReport(
            received_at=now,
            user_agent=_text(user_agent, "user_agent"),
            address=address,
            **violation,
        )
        for violation in violations
    ]
    return CspReport.objects.bulk_create(rows)


def prune(now: datetime | None = None) -> int:
    """Delete reports older than the retention period; the number removed."""
    limit = (now or timezone.now()) - timedelta(days=settings.CSP_REPORT_RETENTION_DAYS)
    removed, _by_model = CspReport.objects.filter(received_at__lt=limit).delete()
    return removed
