"""Certificates (授权书): who is authorised, at what level, where, through which channels,
from when until when."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CertificateStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


class Channel(models.TextChoices):
    WECHAT = "wechat", _("WeChat")
    MINIPROGRAM = "miniprogram", _("Mini-program shop")
    LINE = "line", "LINE"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    OFFLINE = "offline", _("Offline store")


class Certificate(models.Model):
    number = models.CharField(_("certificate number"), max_length=24, unique=True)
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="certificates",
                              verbose_name=_("agent"))
    name = models.CharField(_("name"), max_length=60)
    level = models.ForeignKey("agents.Level", on_delete=models.PROTECT, related_name="+", verbose_name=_("level"))
    level_name = models.CharField(_("level name"), max_length=30)
    province_code = models.CharField(_("province code"), max_length=12, blank=True)
    city_code = models.CharField(_("city code"), max_length=12, blank=True)
    district_code = models.CharField(_("district code"), max_length=12, blank=True)
    region_name = models.CharField(_("authorised region"), max_length=120, blank=True)
    channels = models.JSONField(_("authorised channels"), default=list)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=10, choices=CertificateStatus.choices,
                              default=CertificateStatus.ACTIVE)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("issued by"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("reason it ended"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["agent"], condition=Q(status="active"),
                                    name="certificates_one_active_per_agent"),
        ]
        indexes = [models.Index(fields=["status", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_taiwan(self) -> bool:
        return (self.province_code or "").startswith("71")

    @property
    def channel_labels(self) -> list[str]:
        labels = dict(Channel.choices)
        return [str(labels.get(c, c)) for c in self.channels]

    def is_valid_on(self, day: dt.date) -> bool:
        return self.status == CertificateStatus.ACTIVE and self.valid_from <= day <= self.valid_until
