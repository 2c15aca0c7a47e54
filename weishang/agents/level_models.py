"""Agent levels (总代 / 一级 / 二级 ...), what each level pays per SKU, and how an agent
reaches a level. Imported by models.py so Django registers these models in the agents app.

Upgrade rules are about purchase volume only (a single restock of at least X, or restocks
adding up to Y within a period of N days). There is deliberately no field for a number of
people recruited (拉人头) and none for an entry fee (入门费): see docs/decisions.md."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from weishang.core.money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS


def _amount(verbose_name, **kw) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True,
                               blank=True, validators=[MinValueValidator(Decimal("0.01"))], **kw)


class Level(models.Model):
    """An agent level such as 总代 / 一级 / 二级. rank 1 is the highest."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("1 is the highest level."))
    requires_hq_approval = models.BooleanField(_("HQ must approve applications"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # How an agent reaches this level (purchase volume only; both empty: never by upgrade).
    currency = models.CharField(_("currency of the amounts"), max_length=3, choices=CURRENCY_CHOICES,
                                default=settings.DEFAULT_CURRENCY)
    upgrade_single_purchase = _amount(_("single restock of at least"),
                                      help_text=_("One paid restock of at least this amount reaches this level."))
    upgrade_cumulative_amount = _amount(_("restocks adding up to at least"),
                                        help_text=_("Paid restocks adding up to this amount within the period "
                                                    "reach this level."))
    upgrade_period_days = models.PositiveSmallIntegerField(
        _("period (days)"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Length of the period for the cumulative amount. Periods run back to back from the day "
                    "the agent joined."))
    upgrade_needs_approval = models.BooleanField(
        _("upgrade needs HQ approval"), default=False,
        help_text=_("Unticked: the agent is upgraded at once. Ticked: an upgrade request waits for HQ."))
    first_purchase_amount = _amount(_("first stock purchase on joining"),
                                    help_text=_("Goods an agent joining at this level buys at its level price "
                                                "(restocks add up; never a fee) before its shop takes consumer "
                                                "orders. Applies to agents who join after it is set. Empty: none "
                                                "required."))

    class Meta:
        verbose_name = _("agent level")
        verbose_name_plural = _("agent levels")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name

    def is_higher_than(self, other: Level) -> bool:
        return self.rank < other.rank

    @property
    def rule(self):
        from .levels import UpgradeRule

        return UpgradeRule(level_id=self.pk, rank=self.rank, single=self.upgrade_single_purchase,
                           cumulative=self.upgrade_cumulative_amount, period_days=self.upgrade_period_days,
                           needs_approval=self.upgrade_needs_approval)

    @property
    def has_upgrade_rule(self) -> bool:
        return self.upgrade_single_purchase is not None or self.upgrade_cumulative_amount is not None

    def clean(self) -> None:
        from .levels import rule_errors

        errors = rule_errors(single=self.upgrade_single_purchase, cumulative=self.upgrade_cumulative_amount,
                             period_days=self.upgrade_period_days, first_purchase=self.first_purchase_amount,
                             currency=self.currency)
        if errors:
            raise ValidationError(errors)


class LevelPrice(models.Model):
    """What an agent of `level` pays HQ or its upline for one unit of `sku`."""

    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="prices", verbose_name=_("level"))
    sku = models.ForeignKey("catalog.SKU", on_delete=models.CASCADE, related_name="level_prices",
                            verbose_name=_("SKU"))
    price = models.DecimalField(_("price"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)

    class Meta:
        verbose_name = _("level price")
        verbose_name_plural = _("level prices")
        constraints = [models.UniqueConstraint(fields=["level", "sku"], name="agents_levelprice_unique")]

    def __str__(self) -> str:
        return f"{self.level} {self.sku_id} {self.price}"


class UpgradeStatus(models.TextChoices):
    PENDING = "pending", _("waiting for HQ")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("no longer needed")


class UpgradeTrigger(models.TextChoices):
    SINGLE = "single", _("single restock")
    CUMULATIVE = "cumulative", _("restocks within the period")


class UpgradeRequest(models.Model):
    """An agent's purchases met the rule of a level that needs HQ approval. At most one
    request per agent waits at a time (a partial unique index), whatever the concurrency."""

    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="upgrade_requests",
                              verbose_name=_("agent"))
    from_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+", verbose_name=_("from level"))
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="upgrade_requests",
                              verbose_name=_("requested level"))
    status = models.CharField(_("status"), max_length=10, choices=UpgradeStatus.choices,
                              default=UpgradeStatus.PENDING)
    trigger = models.CharField(_("met by"), max_length=10, choices=UpgradeTrigger.choices)
    amount = models.DecimalField(_("amount that met the rule"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("upgrade request")
        verbose_name_plural = _("upgrade requests")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["agent"], condition=models.Q(status="pending"),
                                               name="agents_upgraderequest_one_pending")]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.agent_id} → {self.level} ({self.get_status_display()})"
