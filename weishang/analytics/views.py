"""Long tasks' pages: start a code export, follow its progress (htmx polls every second),
download the result. Only the starter, or HQ staff allowed that kind, see a job."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from weishang.accounts.roles import hq_page

from . import services
from .jobs import KINDS
from .models import Job

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "txt": "text/plain; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _job_for(request, pk: int) -> Job:
    job = get_object_or_404(Job, pk=pk)
    if not services.may_see(request.user, job):
        raise PermissionDenied
    return job


@login_required
def job_list(request):
    if not request.user.is_staff:
        raise PermissionDenied
    perms = [k for k, kind in KINDS.items() if request.user.has_perm(kind.permission)]
    jobs = Job.objects.filter(kind__in=perms).select_related("user")
    if not (request.user.is_superuser or request.user.has_perm("analytics.view_job")):
        jobs = jobs.filter(user=request.user)
    page = Paginator(jobs, 30).get_page(request.GET.get("page"))
    return render(request, "analytics/job_list.html", {"page": page, "kinds": KINDS})


@login_required
def job_detail(request, pk: int):
    job = _job_for(request, pk)
    return render(request, "analytics/job_detail.html", {"job": job, "kind": KINDS[job.kind]})


@login_required
def job_progress(request, pk: int):
    return render(request, "analytics/_job_progress.html", {"job": _job_for(request, pk)})


@login_required
def job_file(request, pk: int):
    job = _job_for(request, pk)
    if not job.file.name or not job.file.storage.exists(job.file.name):
        raise Http404
    ext = job.filename.rsplit(".", 1)[-1]
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename,
                        content_type=CONTENT_TYPES.get(ext, "application/octet-stream"))


@hq_page("codes.view_codebatch")
@require_POST
def start_code_export(request, pk: int, fmt: str):
    from weishang.codes.models import CodeBatch

    batch = get_object_or_404(CodeBatch, pk=pk)
    job = services.start(kind="code_export", user=request.user, params={"batch": batch.pk, "format": fmt})
    return redirect("analytics:job", pk=job.pk)
