"""`manage.py check --deploy` reports nothing under production settings."""

import os
import subprocess
import sys


def test_it_passes_the_deploy_checklist_in_production_mode(tmp_path):
    env = {
        **{
            k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"
        },  # set only for Playwright
        "CHUANGWEN_MODE": "production",
        "SECRET_KEY": "a-long-random-production-secret-key-for-the-deploy-check-0123456789abcdef",
        "AUDIT_HMAC_KEY": "deploy-check:an-audit-chain-key-kept-apart-from-the-secret-key-0123",
        "CHUANGWEN_VAR_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "cw.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "-m", "chuangwen.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_production_mode_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"CHUANGWEN_MODE": "production", "CHUANGWEN_VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-m", "chuangwen.cli", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
