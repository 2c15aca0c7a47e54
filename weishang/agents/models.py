"""The agent network: levels, level prices and the tree of agents.

The tree is a materialised path: `path` lists every ancestor id from the top
("/12/57/311/"), so "whole team of X" is one indexed prefix range and "upline chain of X"
is one query by primary keys, whatever the depth.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .level_models import Level, LevelPrice  # noqa: F401  (levels and prices live in level_models.py)


class AgentStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    FROZEN = "frozen", _("frozen")
    EXPIRED = "expired", _("expired")


class Agent(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agent",
                                verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=60)
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="agents", verbose_name=_("level"))
    upline = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="downlines",
                               verbose_name=_("upline"), help_text=_("Empty means directly under HQ."))
    recruiter = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="recruits",
                                  verbose_name=_("recruiter"))
    path = models.CharField(max_length=255, db_index=True, editable=False,
                            help_text="Ancestor ids from the top, then own id: /12/57/311/")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=AgentStatus.choices, default=AgentStatus.ACTIVE)
    wechat_id = models.CharField(_("WeChat ID"), max_length=40, blank=True, db_index=True)
    line_id = models.CharField(_("LINE ID"), max_length=40, blank=True)
    # Authorised region as GB/T 2260-style division codes (Taiwan: see weishang.regions).
    province_code = models.CharField(_("province code"), max_length=12, blank=True)
    city_code = models.CharField(_("city code"), max_length=12, blank=True)
    district_code = models.CharField(_("district code"), max_length=12, blank=True)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        indexes = [models.Index(fields=["level", "status"]), models.Index(fields=["upline"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.level.name})" if self.level_id else self.name

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids of the upline chain, top first, excluding self."""
        return [int(p) for p in self.path.strip("/").split("/")[:-1] if p]

    @property
    def can_trade(self) -> bool:
        return self.status == AgentStatus.ACTIVE
