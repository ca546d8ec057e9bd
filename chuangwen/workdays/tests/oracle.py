"""The traffic light written from its definition, as the tests' oracle.

Production computes a case's light by comparing now with two stored moments (``cases.deadlines.light_of``
in Python, ``light_q`` in SQL); this computes it the slow way, from the share of the allowed working time
used, so the tests can check the fast way against the rule as docs/deadlines.md states it.
"""

from __future__ import annotations

from datetime import datetime

from chuangwen.workdays.services import GREEN, RED, YELLOW, YELLOW_FROM, is_overdue, share_used


def traffic_light(opened_at: datetime, deadline: datetime, now: datetime, *, paused: bool = False) -> str:
    """green below 80% of the allowed working time, yellow from 80% up to the deadline, red once overdue.

    A paused case (挂账) is never red: it is tracked to its planned date instead.
    """
    if is_overdue(deadline, now, paused=paused):
        return RED
    if paused:
        return GREEN
    return GREEN if share_used(opened_at, deadline, now) < YELLOW_FROM else YELLOW
