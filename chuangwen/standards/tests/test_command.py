"""``chuangwen standard import|export|load-default``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from chuangwen.standards.models import Standard
from chuangwen.standards.tests.conftest import STARTER


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("standard", *args, stdout=out)
    return out.getvalue()


def test_it_loads_the_default_idempotently(db):
    assert "10 个点位类型，56 个测评指标" in run("load-default")
    run("load-default")
    assert Standard.objects.get().is_active


def test_it_imports_and_exports_yaml_and_excel(db, tmp_path):
    assert "CW-2026 v1" in run("import", str(STARTER), "--activate")
    run("export", "CW-2026", "1", str(tmp_path / "out.xlsx"))
    run("export", "CW-2026", "1", str(tmp_path / "out.yaml"))
    assert "CW-2026 v2" in run("import", str(tmp_path / "out.xlsx"))
    assert "CW-2026 v3" in run("import", str(tmp_path / "out.yaml"))
    listing = run("list")
    assert "v1" in listing and "生效" in listing


def test_it_reports_every_problem_and_imports_nothing(db, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(STARTER.read_text().replace("deduct: 2, cap: 12", "deduct: -2, cap: 12"), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        run("import", str(bad))
    assert "site_types[0].items[0].deduct: 必须是非负数" in str(exc.value)
    assert not Standard.objects.exists()
    with pytest.raises(CommandError, match=r"\.yaml/\.yml 或 \.xlsx"):
        run("import", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="没有找到"):
        run("export", "CW-2026", "9", str(tmp_path / "x.yaml"))
