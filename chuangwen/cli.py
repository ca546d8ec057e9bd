"""The ``chuangwen`` console command: every task goes through it.

``chuangwen serve`` runs the production WSGI server (granian) and the task worker together;
every other word is a Django management command (``chuangwen migrate``, ``chuangwen audit verify`` …).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["chuangwen", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
