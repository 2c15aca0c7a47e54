"""Long work run as a task (a big code export, an Excel import): one row per run, with its
progress, its result file in private storage and who started it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weishang.core.uploads import get_private_storage


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class Job(models.Model):
    kind = models.CharField(_("kind"), max_length=32)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), default=0)
    file = models.FileField(_("file"), upload_to="jobs/", storage=get_private_storage, blank=True)
    filename = models.CharField(_("file name"), max_length=120, blank=True)
    result = models.CharField(_("result"), max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    # What was wrong, place by place (an import's bad cells: [["C7", "message"], ...]).
    problems = models.JSONField(_("problems"), default=list, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("started by"))
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("long task")
        verbose_name_plural = _("long tasks")
        ordering = ["-created_at", "-id"]
        # Sales figures (amounts and order counts) on the dashboard: not for the warehouse,
        # which sees orders only to ship them.
        permissions = [("view_sales", _("Can see sales figures"))]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def label(self):
        from .jobs import KINDS

        kind = KINDS.get(self.kind)
        return kind.label if kind else self.kind

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return min(100, self.progress * 100 // self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
