"""Invitations and applications: how a person becomes an agent.

An Invite is made by an agent (for its own level or a lower one) or by HQ (any level). Its
link carries a signed token; the applicant fills an Application, which the inviting upline
decides, then HQ as well when the level requires it. No entry fee exists anywhere here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Invite(models.Model):
    key = models.CharField(max_length=32, unique=True, editable=False)
    inviter = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="invites", verbose_name=_("inviting agent"),
                                help_text=_("Empty: an HQ invite (the new agent is placed directly under HQ)."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    level = models.ForeignKey("agents.Level", on_delete=models.PROTECT, related_name="+", verbose_name=_("level"))
    note = models.CharField(_("note"), max_length=60, blank=True)
    max_uses = models.PositiveIntegerField(_("at most this many applicants"), null=True, blank=True,
                                           help_text=_("Empty: any number of people may apply once each."))
    uses = models.PositiveIntegerField(_("applications received"), default=0)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("invite")
        verbose_name_plural = _("invites")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.level} · {self.inviter or _('HQ')} · {self.created_at:%Y-%m-%d}" if self.created_at else str(
            self.level)

    @property
    def token(self) -> str:
        from .tokens import sign

        return sign(self.key)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_used_up(self) -> bool:
        return self.max_uses is not None and self.uses >= self.max_uses

    @property
    def is_open(self) -> bool:
        return self.revoked_at is None and not self.is_expired and not self.is_used_up


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class Stage(models.TextChoices):
    UPLINE = "upline", _("waiting for the upline")
    HQ = "hq", _("waiting for HQ")
    DONE = "done", _("decided")


class Application(models.Model):
    ref = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    invite = models.ForeignKey(Invite, on_delete=models.PROTECT, related_name="applications",
                               verbose_name=_("invite"))
    inviter = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="applications_to_decide", verbose_name=_("inviting agent"))
    level = models.ForeignKey("agents.Level", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("level applied for"))
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone number"), max_length=20, db_index=True)
    wechat_id = models.CharField(_("WeChat ID"), max_length=40, blank=True)
    line_id = models.CharField(_("LINE ID"), max_length=40, blank=True)
    province_code = models.CharField(_("province code"), max_length=12)
    city_code = models.CharField(_("city code"), max_length=12, blank=True)
    district_code = models.CharField(_("district code"), max_length=12, blank=True)
    region_name = models.CharField(_("region"), max_length=120, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="agent_applications", verbose_name=_("account"))
    # A new person's chosen password, hashed, until the account is created on approval.
    password_hash = models.CharField(max_length=128, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.PENDING)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.UPLINE)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    upline_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+",
                                          verbose_name=_("approved by the upline"))
    upline_decided_at = models.DateTimeField(_("upline approved"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    agent = models.OneToOneField("agents.Agent", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="application", verbose_name=_("agent"))
    created_at = models.DateTimeField(_("applied"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=Q(status="pending"),
                                    name="recruitment_one_open_application_per_phone"),
            models.UniqueConstraint(fields=["invite", "phone"], name="recruitment_invite_once_per_applicant"),
        ]
        indexes = [models.Index(fields=["inviter", "stage"]), models.Index(fields=["stage", "status"])]

    def __str__(self) -> str:
        return f"{self.ref} {self.name} → {self.level}" if self.level_id else self.ref
