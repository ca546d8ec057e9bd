"""The case API under /api/v1/cases: a package of routers, each mounted at that prefix (``chuangwen/api.py``).

``cases`` (the list, a case, its actions and photos), ``board`` (the dispatch board, disputes, the map's
GeoJSON) and ``intake`` (the 12345 import and instructions, 督办).
"""

from __future__ import annotations

from chuangwen.cases.api import board, cases, intake

ROUTERS = (cases.router, board.router, intake.router)
