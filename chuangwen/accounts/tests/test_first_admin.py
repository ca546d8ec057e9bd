"""Production mode never builds the demo district; the first administrator comes from ``create-admin``."""

import io
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from chuangwen.accounts.models import Role, User
from chuangwen.audit.models import AuditEntry
from chuangwen.core.serverproc import ROOT, free_port, start_server, stop_server
from chuangwen.org.models import Unit, UnitKind

ADMIN_PASSWORD = "Tide-Lantern-2026!"


def create_admin(username, password, **options):
    out = io.StringIO()
    stdin = io.StringIO(password + "\n")
    call_command("create-admin", username, password_stdin=True, stdin=stdin, stdout=out, **options)
    return out.getvalue()


def test_it_refuses_demo_data_in_production_mode(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="生产模式下不能生成演示数据") as refused:
        call_command("demo-data", scale="district", seed=1)
    assert "create-admin" in str(refused.value)
    with pytest.raises(CommandError, match="生产模式下不能生成演示数据"):
        call_command("demo-data", scale="district", seed=1, reset=True)
    assert not User.objects.exists() and not Unit.objects.exists()


def test_it_skips_demo_data_on_up_in_production_mode(db, settings, tmp_path):
    settings.PRODUCTION = True
    settings.STATIC_ROOT = tmp_path / "static"
    out = io.StringIO()
    call_command("up", no_serve=True, stdout=out)
    assert not User.objects.exists() and not Unit.objects.exists()
    text = out.getvalue()
    assert "不生成演示数据" in text and "chuangwen create-admin" in text
    assert "Demo-2026" not in text  # no demo password printed


def test_it_refuses_to_serve_in_production_while_a_demo_account_keeps_the_public_password(org, settings):
    """A database built in development and switched to production must not serve its demo accounts."""
    from chuangwen.demo.services import DEMO_PASSWORD
    from conftest import make_user

    make_user("ops", Role.ADMIN, org["city"])
    demo = make_user("demo_coordinator", Role.COORDINATOR, org["district"])
    demo.set_password(DEMO_PASSWORD)
    demo.save()
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="演示账号使用公开的演示密码") as refused:
        call_command("serve")
    assert "demo_coordinator" in str(refused.value)
    demo.set_password(ADMIN_PASSWORD)  # the operator changed it: the start goes on to the server itself
    demo.save()
    from chuangwen.core.management.commands.serve import refuse_unsafe_production_start

    refuse_unsafe_production_start()


def test_it_creates_the_first_admin_with_a_password_the_operator_chooses(db, settings):
    settings.REQUIRE_2FA_ROLES = ["admin", "coordinator"]
    out = create_admin("ops", ADMIN_PASSWORD)
    admin = User.objects.get(username="ops")
    assert (admin.role, admin.is_superuser, admin.is_staff, admin.is_active) == (Role.ADMIN, True, True, True)
    assert admin.check_password(ADMIN_PASSWORD)
    # An empty database gets a top-level 市 for the admin to stand on (users see their unit's subtree).
    root = Unit.objects.get()
    assert (admin.unit, root.kind, root.code, root.parent) == (root, UnitKind.CITY, "ROOT", None)
    assert "ROOT" in out and "已创建系统管理员 ops" in out and "动态口令" in out
    entry = AuditEntry.objects.get(action="admin_created")
    assert entry.object_id == str(admin.pk)
    assert entry.detail == {"username": "ops", "unit": "ROOT", "unit_created": True, "via": "create-admin"}
    login = Client().post("/accounts/login/", {"username": "ops", "password": ADMIN_PASSWORD})
    assert login.status_code == 302


def test_it_puts_the_admin_in_the_only_top_level_unit_or_the_one_named(org):
    create_admin("ops", ADMIN_PASSWORD, full_name="运维")
    assert User.objects.get(username="ops").unit == org["city"]
    create_admin("ops2", ADMIN_PASSWORD, unit="D01")
    assert User.objects.get(username="ops2").unit == org["district"]
    Unit.objects.create(code="C02", name="另一市", kind=UnitKind.CITY)
    with pytest.raises(CommandError, match="有多个顶级单位"):
        create_admin("ops3", ADMIN_PASSWORD)
    with pytest.raises(CommandError, match="单位编码“X9”不存在"):
        create_admin("ops3", ADMIN_PASSWORD, unit="X9")
    assert not User.objects.filter(username="ops3").exists()


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("Ops.Admin-1", "Ops.Admin-1Ops.Admin-1", "密码不能包含用户名"),
        ("ops", "Sh0rt-202", "密码太短，至少需要 10 个字符"),
        ("ops", "12345678901234", "密码只包含数字"),
        ("ops", "Password123", "这个密码太常见了"),
        ("o ps", ADMIN_PASSWORD, "用户名“o ps”无效"),
    ],
)
def test_it_refuses_a_bad_admin_and_creates_nothing(db, username, password, reason):
    with pytest.raises(CommandError, match=reason):
        create_admin(username, password)
    assert not User.objects.exists() and not Unit.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_a_taken_username_and_a_missing_password(org):
    create_admin("ops", ADMIN_PASSWORD)
    with pytest.raises(CommandError, match="已存在"):
        create_admin("OPS", ADMIN_PASSWORD)
    with pytest.raises(CommandError, match="密码不能为空"):
        create_admin("ops2", "")
    # No terminal to ask on and no --password-stdin: nothing is guessed.
    with pytest.raises(CommandError, match="--password-stdin"):
        call_command("create-admin", "ops2", stdin=io.StringIO(ADMIN_PASSWORD + "\n"))
    assert User.objects.filter(role=Role.ADMIN).count() == 1


def production_env(var_dir: Path) -> dict[str, str]:
    drop = {"DATABASE_URL", "TASK_QUEUE_URL", "CACHE_URL", "MEDIA_ROOT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        CHUANGWEN_MODE="production",
        SECRET_KEY="a-long-random-production-secret-key-for-the-first-admin-test-0123456789",
        AUDIT_HMAC_KEY="first-admin:an-audit-chain-key-kept-apart-from-the-secret-key-0123",
        CHUANGWEN_VAR_DIR=str(var_dir),
        CHUANGWEN_PLAIN_STATIC="1",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # the test talks plain HTTP to the app server, as the TLS proxy does
        DJANGO_SETTINGS_MODULE="chuangwen.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def run(env: dict[str, str], *args: str, stdin: str = "", timeout: float = 120) -> tuple[int, str]:
    """Run ``chuangwen ARGS`` in its own process group; a run that would serve forever is killed and fails."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "chuangwen.cli", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chuangwen {' '.join(args)} was still running after {timeout} s (serving?)")
    return proc.returncode, output


def test_it_refuses_to_serve_in_production_until_an_admin_exists(tmp_path):
    env, port = production_env(tmp_path), free_port()
    code, output = run(env, "up", "--port", str(port), timeout=90)
    assert code != 0, output
    assert "chuangwen create-admin 用户名" in output
    with sqlite3.connect(tmp_path / "chuangwen.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM accounts_user").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM org_unit").fetchone() == (0,)
    code, output = run(env, "serve", "--port", str(port), "--no-worker", timeout=60)
    assert code != 0 and "create-admin" in output, output

    code, output = run(env, "create-admin", "ops", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert code == 0, output
    server = start_server(env, port, tmp_path / "server.log", worker=False, timeout=30)
    stop_server(server)
