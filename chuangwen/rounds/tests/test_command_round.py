"""``chuangwen round verify|draw|publish``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from chuangwen.rounds.models import Round, RoundStatus

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("round", *args, stdout=out)
    return out.getvalue()


def test_verify_a_published_round_by_id_or_public_id(published_round):
    assert "一致" in run("verify", str(published_round.pk))
    output = run("verify", str(published_round.public_id))
    assert "种子承诺值: 一致" in output and "抽样结果: 一致" in output and "不一致" not in output


def test_verify_fails_with_exit_1_naming_the_tampered_part(published_round):
    Round.objects.filter(pk=published_round.pk).update(seed="0" * 64)
    with pytest.raises(CommandError) as exc:
        run("verify", str(published_round.pk))
    assert exc.value.returncode == 1
    assert str(exc.value).startswith("不一致：") and "种子承诺值" in str(exc.value)


def test_verify_via_the_real_command_line_exit_code(published_round, capsys):
    from django.core.management import execute_from_command_line

    Round.objects.filter(pk=published_round.pk).update(eligible_snapshot=[])
    with pytest.raises(SystemExit) as exc:
        execute_from_command_line(["chuangwen", "round", "verify", str(published_round.pk)])
    assert exc.value.code == 1 and "候选点位承诺值" in capsys.readouterr().err


def test_unknown_round(db):
    for value in ("999", "0b7c6f1e-0000-4000-8000-000000000000", "abc"):
        with pytest.raises(CommandError, match="找不到测评批次"):
            run("verify", value)


def test_draw_and_publish_from_the_console(draft_round, users, team_inspectors):
    from chuangwen.rounds import services

    assert "已抽样：7 个点位" in run("draw", str(draft_round.pk), "--user", "coord")
    draft_round.refresh_from_db()
    assert draft_round.status == RoundStatus.DRAWN and draft_round.drawn_by == users["coordinator"]
    with pytest.raises(CommandError, match="不能执行此操作"):
        run("draw", str(draft_round.pk))
    services.build_teams(draft_round, team_inspectors)
    services.start_round(draft_round, None)
    with pytest.raises(CommandError, match="没有已采纳的测评"):
        run("publish", str(draft_round.pk))
    with pytest.raises(CommandError, match="只有组织该批次的文明办协调员"):
        run("publish", str(draft_round.pk), "--user", "leader", "--confirm-missing")
    assert draft_round.seed in run("publish", str(draft_round.pk), "--confirm-missing")
    assert Round.objects.get(pk=draft_round.pk).status == RoundStatus.PUBLISHED
