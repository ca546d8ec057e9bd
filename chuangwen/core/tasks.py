"""Background tasks of the core app (huey discovers ``tasks`` modules of installed apps)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chuangwen.core import csp_reports
from chuangwen.core.imports import run_import
from chuangwen.core.models import ImportJob, ImportStatus


@db_task()
def run_import_job(job_id: int) -> None:
    """Run a queued spreadsheet import; the uploaded file is deleted afterwards (it may hold passwords)."""
    job = ImportJob.objects.select_related("created_by", "created_by__unit").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.PENDING:
        return  # already handled (a retried or duplicated message)
    if job.created_by is None or not job.created_by.is_active:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            message=_("导入人账号已停用或删除，任务未执行"),
            finished_at=timezone.now(),
        )
        return
    try:
        run_import(job.kind, job.file, job.created_by, job, file_name=job.original_name)
    except Exception:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            message=_("导入时发生内部错误，未写入任何数据"),
            finished_at=timezone.now(),
        )
        raise
    finally:
        if job.file:
            job.file.close()
            job.file.delete(save=False)
            ImportJob.objects.filter(pk=job.pk).update(file="")


@db_periodic_task(crontab(hour="3", minute="17"))
def prune_csp_reports() -> None:
    """Daily: Content-Security-Policy reports older than their retention period (180 days) go."""
    csp_reports.prune()
