"""The 网上申报 pages: ``periods`` (home, periods, the task table), ``tasks`` (a task and its uploads),
``items`` (a material, its review steps and file) and ``review`` (review queue, board, summary, search).
The ledger's pages are ``chuangwen.materials.ledger_views``."""

from chuangwen.materials.views.items import (
    material_act,
    material_detail,
    material_file,
    material_preview,
    material_replace,
)
from chuangwen.materials.views.periods import (
    index,
    period_close,
    period_create,
    period_detail,
    task_export,
    task_import,
)
from chuangwen.materials.views.review import board, review_queue, search, summary
from chuangwen.materials.views.tasks import task_detail, task_upload

__all__ = [
    "board",
    "index",
    "material_act",
    "material_detail",
    "material_file",
    "material_preview",
    "material_replace",
    "period_close",
    "period_create",
    "period_detail",
    "review_queue",
    "search",
    "summary",
    "task_detail",
    "task_export",
    "task_import",
    "task_upload",
]
