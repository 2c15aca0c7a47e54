"""Agent levels (总代 / 一级 / 二级 ...), what each level pays per SKU, and how an agent
reaches a level. Imported by models.py so Django registers these models in the agents app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from weishang.core.money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS


class Level(models.Model):
    """An agent level such as 总代 / 一级 / 二级. rank 1 is the highest."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("1 is the highest level."))
    requires_hq_approval = models.BooleanField(_("HQ must approve applications"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agent level")
        verbose_name_plural = _("agent levels")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name

    def is_higher_than(self, other: Level) -> bool:
        return self.rank < other.rank


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
