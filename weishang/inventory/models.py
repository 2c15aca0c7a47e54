"""Cloud stock (云仓) and HQ warehouse stock.

One `Stock` row per (owner, SKU): the owner is an agent or HQ (`agent` empty, owner key
"hq"). `quantity` is what the owner holds; it changes ONLY together with a
`StockMovement` row in the same transaction (see services.move), so the balance always
equals the sum of the owner's movements (`manage.py`-free check: selectors.drift()).
`reserved` is the part promised to unpaid orders; it never changes `quantity` and so
needs no movement. Database constraints keep 0 <= reserved <= quantity.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

HQ = "hq"
# Returned units the HQ warehouse inspected as damaged: kept apart from HQ's sellable stock.
HQ_DAMAGED = "hq_damaged"


def owner_key(agent_id: int | None) -> str:
    return f"a{agent_id}" if agent_id else HQ


class Stock(models.Model):
    owner = models.CharField(_("owner"), max_length=20, editable=False, help_text="hq or a<agent id>")
    agent = models.ForeignKey("agents.Agent", verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="stock")
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stock")
    quantity = models.IntegerField(_("quantity"), default=0, editable=False)
    reserved = models.IntegerField(_("reserved"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(fields=["owner", "sku"], name="inventory_stock_owner_sku"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="inventory_stock_reserved_nonneg"),
            models.CheckConstraint(condition=models.Q(quantity__gte=models.F("reserved")),
                                   name="inventory_stock_quantity_covers_reserved"),
        ]
        indexes = [models.Index(fields=["agent", "sku"])]

    def __str__(self) -> str:
        return f"{self.owner} {self.sku_id}: {self.quantity}"

    @property
    def available(self) -> int:
        return self.quantity - self.reserved

    @property
    def is_hq(self) -> bool:
        return self.owner == HQ


class MovementKind(models.TextChoices):
    PURCHASE_IN = "purchase_in", _("purchase in")
    SALE_OUT = "sale_out", _("sale out")
    PICKUP_OUT = "pickup_out", _("pick-up out")
    RETURN_IN = "return_in", _("return in")
    RETURN_OUT = "return_out", _("return out")
    ADJUSTMENT = "adjustment", _("HQ adjustment")
    DAMAGED_IN = "damaged_in", _("returned damaged")


class StockMovement(models.Model):
    """One recorded change of a Stock's quantity (signed). Never edited or deleted."""

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="movements", verbose_name=_("stock"))
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"))
    balance_after = models.IntegerField(_("balance after"))
    ref_type = models.CharField(_("reference type"), max_length=20, blank=True)
    ref_id = models.CharField(_("reference"), max_length=40, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-id"]
        indexes = [models.Index(fields=["stock", "-id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d}"
