"""Starting and running long tasks (Job): started in the request, run by Celery (in-process
and at once in the embedded default, CELERY_TASK_ALWAYS_EAGER), progress written as it goes."""

from __future__ import annotations

import io
import logging

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weishang.accounts.roles import check_hq, hq_can
from weishang.core.errors import DomainError

from .jobs import KINDS
from .models import Job, JobStatus

log = logging.getLogger(__name__)


def may_see(user, job: Job) -> bool:
    """The one who started it, or HQ staff who may start that kind themselves; both must
    still hold the kind's permission (a file of codes is no less secret to an ex-operator)."""
    kind = KINDS.get(job.kind)
    return kind is not None and hq_can(user, kind.permission) and (job.user_id == user.pk or user.is_superuser
                                                                   or hq_can(user, "analytics.view_job"))


def start(*, kind: str, user, params: dict) -> Job:
    if kind not in KINDS:
        raise DomainError(_("Unknown kind of task."), code="unknown_job")
    check_hq(user, KINDS[kind].permission)
    job = Job.objects.create(kind=kind, params=params, user=user)
    from .tasks import run_job

    transaction.on_commit(lambda: run_job.delay(job.pk))
    return job


def run(job_id: int) -> None:
    """Do the work of one job, writing its progress; a failure is kept on the job, with a
    message for the person waiting, and logged."""
    updated = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING)
    if not updated:  # already taken by another worker (acks_late redelivery) or finished
        return
    job = Job.objects.get(pk=job_id)

    def report(done: int, total: int) -> None:
        Job.objects.filter(pk=job_id).update(progress=done, total=total)

    try:
        name, source, result = KINDS[job.kind].run(job.params, report)
    except DomainError as exc:
        _fail(job_id, str(exc.message), exc.fields)
        return
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind)
        _fail(job_id, _("The task failed. Try again, or ask the administrator to look at the server log."))
        return
    job.refresh_from_db()
    if source is not None:
        with source:
            job.file.save(f"{job.pk}-{name}", File(source), save=False)
    job.filename, job.result, job.status, job.finished_at = name, result, JobStatus.DONE, timezone.now()
    job.progress = job.total
    job.save(update_fields=["file", "filename", "result", "status", "finished_at", "progress"])


def _fail(job_id: int, message: str, fields: dict | None = None) -> None:
    """A refusal naming places (an import's bad cells) keeps them on the job, shown on its
    page, and as an error report workbook to download and fix the file from."""
    problems = [[str(place), str(msg)] for place, msgs in (fields or {}).items() for msg in msgs]
    Job.objects.filter(pk=job_id).update(status=JobStatus.FAILED, error=message, problems=problems,
                                         finished_at=timezone.now())
    if problems:
        job = Job.objects.get(pk=job_id)
        job.filename = f"errors-{job_id}.xlsx"
        job.file.save(job.filename, ContentFile(_error_report(problems)), save=False)
        job.save(update_fields=["file", "filename"])


def _error_report(problems: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "errors"
    ws.append([_("Cell"), _("Problem")])
    for row in problems:
        ws.append(row)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
