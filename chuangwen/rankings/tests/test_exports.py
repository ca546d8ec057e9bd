"""Spreadsheet downloads of a ranking and of the drill-down tables, each with an audit record."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from chuangwen.audit.models import AuditEntry
from conftest import client_for


def test_it_exports_the_ranking_as_xlsx(ranked: Any, users: dict[str, Any]) -> None:
    response = client_for(users["east_handler"]).get(f"/rankings/{ranked.pk}/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("名次", "单位", "综合指数")
    by_unit = {row[1]: row for row in rows[1:]}
    for stored in ranked.rows.all():
        line = by_unit[stored.unit_name]
        assert line[0] == stored.rank and Decimal(str(line[2])) == stored.composite
    assert AuditEntry.objects.filter(action="ranking.export", object_id=str(ranked.pk)).exists()


def test_it_exports_the_drill_down_tables_as_csv(
    ranked: Any, scored: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    client = client_for(users["west_handler"])
    base = f"/rankings/{ranked.pk}/unit/{org['west'].pk}/"
    visits = client.get(base + "visits.csv").content.decode("utf-8-sig").splitlines()
    assert visits[0].startswith("测评批次,点位编码")
    assert len(visits) == 1 + 2 + 1  # header, two visits, the sum
    assert visits[-1].startswith("合计") and "2.8" in visits[-1] and "92.57" in visits[-1]
    cases = client.get(base + "cases.csv").content.decode("utf-8-sig").splitlines()
    assert any(line.startswith(scored["case_b"].code) and "计入" in line for line in cases)
    assert len(cases) == 1 + 2 + 1
    assert AuditEntry.objects.filter(action="ranking.export_detail").count() == 2
    assert client.get(base + "other.csv").status_code == 403
    assert client.get(base + "visits.pdf").status_code == 404
