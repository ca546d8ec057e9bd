"""Working-day arithmetic: how long a deadline's stored fields take, near and far (docs/security.md, "Bounds
on dates, numbers and exports"). The far cases are dates no one can enter any more, but an old row may hold.

    .venv/bin/python bench/workdays.py [--repeat 20]
Target: a deadline within the date bounds (≤ 5 years) well under 10 ms; the year 9956 under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("CHUANGWEN_VAR_DIR", tempfile.mkdtemp(prefix="cw-bench-workdays-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from chuangwen.cases.deadlines import deadline_fields
    from chuangwen.workdays.services import TZ, add_workdays, end_of_day

    start = datetime(2026, 12, 3, 10, 0, tzinfo=TZ)
    cases = {
        "+15 working days": add_workdays(start, 15),
        "+2 years": end_of_day(date(2028, 12, 1)),
        "+5 years": end_of_day(date(2031, 12, 1)),
        "year 9956 (old row)": end_of_day(date(9956, 1, 1)),
    }
    print(f"{'deadline':<22} {'median ms':>10} {'max ms':>10}")
    for name, deadline in cases.items():
        times = []
        for _run in range(args.repeat):
            began = time.perf_counter()
            deadline_fields(start, deadline)
            times.append((time.perf_counter() - began) * 1000)
        print(f"{name:<22} {statistics.median(times):>10.2f} {max(times):>10.2f}")


if __name__ == "__main__":
    main()
