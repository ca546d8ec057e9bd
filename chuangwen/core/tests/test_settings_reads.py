"""Every setting lives in the settings module and is read from there: no app reads the environment itself or
keeps its own default with ``getattr(settings, NAME, default)`` (two defaults drift apart)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]  # the chuangwen package
# Only these may touch the environment: the settings, the entry points that name the settings module, and
# the two helpers that hand the environment on to a child process.
ENVIRONMENT_READERS = {"settings.py", "cli.py", "wsgi.py", "core/backup.py", "core/serverproc.py"}
SETTING = re.compile(r"\bsettings\.([A-Z][A-Z0-9_]+)\b")


def sources() -> list[tuple[str, str]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in relative or "/migrations/" in relative or relative.startswith("tests/"):
            continue
        found.append((relative, path.read_text()))
    return found


def test_it_reads_the_environment_only_in_the_settings_module() -> None:
    offenders = [name for name, text in sources() if "os.environ" in text and name not in ENVIRONMENT_READERS]
    assert offenders == []


def test_it_keeps_no_second_default_for_a_setting() -> None:
    offenders = [name for name, text in sources() if re.search(r"getattr\(\s*settings\s*,", text)]
    assert offenders == [] or offenders == ["core/bounds.py"]  # bounds looks a name up, without a default
    bounds = (ROOT / "core/bounds.py").read_text()
    assert not re.search(r"getattr\(\s*settings\s*,[^)]*,", bounds)


def test_it_defines_every_setting_the_code_reads() -> None:
    read = {match for _name, text in sources() for match in SETTING.findall(text)}
    assert read and sorted(name for name in read if not hasattr(settings, name)) == []
