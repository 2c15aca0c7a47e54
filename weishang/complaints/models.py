"""Complaints (投诉): a consumer (or any signed-in buyer) complains about one of its orders
or about an agent; HQ assigns it to a staff member and closes it with a recorded outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("open")
    ASSIGNED = "assigned", _("being handled")
    CLOSED = "closed", _("closed")


class Complaint(models.Model):
    complainant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints",
                                    verbose_name=_("complainant"))
    # About an order of the complainant, or an agent (at least one; an order's shop agent is filled in).
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="complaints", verbose_name=_("order"))
    agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="complaints", verbose_name=_("agent"))
    subject = models.CharField(_("subject"), max_length=100)
    body = models.TextField(_("details"), max_length=2000)
    status = models.CharField(_("status"), max_length=10, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.OPEN, db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("handled by"))
    outcome = models.TextField(_("outcome"), max_length=1000, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("closed by"))
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=models.Q(order__isnull=False) | models.Q(agent__isnull=False),
                                              name="complaints_about_something")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"
