"""Rendering a bulletin's documents on the task queue: progress on the row, files written durably before the
row names them, and an issued bulletin delivered to its recipients once its documents exist."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from chuangwen.bulletins import documents
from chuangwen.bulletins.models import Bulletin, BulletinState, RenderState
from chuangwen.evidence.storage import store_derivative

logger = logging.getLogger(__name__)


def file_stem(bulletin: Bulletin) -> str:
    """Storage names per bulletin and version: an issued bulletin's files are never overwritten by a
    draft's."""
    return f"bulletins/{bulletin.owner_unit_id}/{bulletin.pk}/v{bulletin.version}"


def _progress(bulletin_id: int, percent: int) -> None:
    Bulletin.objects.filter(pk=bulletin_id).update(render_progress=max(0, min(100, percent)))


def request_render(bulletin: Bulletin) -> None:
    """Queue a (re)render of the current version (a draft's preview, or an issued bulletin's failed
    render)."""
    from django.db import transaction

    from chuangwen.bulletins.tasks import render_bulletin

    Bulletin.objects.filter(pk=bulletin.pk).update(
        render_state=RenderState.QUEUED, render_progress=0, render_error=""
    )
    pk = bulletin.pk
    transaction.on_commit(lambda: render_bulletin(pk))


def render(bulletin_id: int) -> bool:
    """Make the .docx, PDF and .xlsx of the bulletin's current version; True when done."""
    bulletin = Bulletin.objects.select_related("owner_unit", "template").filter(pk=bulletin_id).first()
    if bulletin is None:
        return False
    version = bulletin.version
    Bulletin.objects.filter(pk=bulletin_id).update(render_state=RenderState.RUNNING, render_progress=1)
    try:
        files = documents.render_all(bulletin, lambda p: _progress(bulletin_id, p))
        stem = file_stem(bulletin)
        names = {ext: store_derivative(f"{stem}.{ext}", data, sync=True) for ext, data in files.items()}
    except Exception as exc:  # any failure is shown on the bulletin; the office can render again
        logger.exception("bulletin %s render failed", bulletin_id)
        Bulletin.objects.filter(pk=bulletin_id).update(
            render_state=RenderState.FAILED,
            render_error=(_("文档生成失败：%(e)s") % {"e": type(exc).__name__})[:300],
        )
        return False
    updated = Bulletin.objects.filter(pk=bulletin_id, version=version).update(
        render_state=RenderState.DONE,
        render_progress=100,
        render_version=version,
        render_error="",
        docx_name=names.get("docx", ""),
        pdf_name=names.get("pdf", ""),
        xlsx_name=names.get("xlsx", ""),
    )
    if not updated:  # the draft changed meanwhile: its own render is queued
        return False
    bulletin.refresh_from_db()
    if bulletin.state == BulletinState.ISSUED:
        from chuangwen.bulletins.distribution import deliver

        deliver(bulletin)
    return True
