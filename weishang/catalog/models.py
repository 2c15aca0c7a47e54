from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from weishang.core.money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS, MoneyError, format_money, parse_amount
from weishang.core.uploads import RandomName, ReencodedImageField

from .gtin import is_valid_gtin


def money_field(verbose_name, **kw) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kw)


class Supplier(models.Model):
    """A supplier that ships drop-shipped (一件代发) orders straight to consumers."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductLine(models.Model):
    """A product line (系列) grouping products, e.g. 水润系列."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    line = models.ForeignKey(ProductLine, verbose_name=_("product line"), on_delete=models.PROTECT,
                             related_name="products")
    name = models.CharField(_("name"), max_length=100)
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    image = ReencodedImageField(_("main image"), upload_to=RandomName("products"), blank=True)
    on_shelf = models.BooleanField(_("on shelf"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["on_shelf", "position"])]

    def __str__(self) -> str:
        return self.name

    @property
    def cheapest_sku(self) -> SKU | None:
        """The on-shelf SKU with the lowest retail price (needs selectors' shelf_skus)."""
        skus = getattr(self, "shelf_skus", None)
        return min(skus, key=lambda s: s.retail_price) if skus else None


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product"))
    image = ReencodedImageField(_("image"), upload_to=RandomName("products"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["position", "id"]


class SKU(models.Model):
    """A sellable variant (规格) such as 50ml. Prices are in the SKU's currency.

    控价: floor ≤ retail ≤ ceiling. Agents' shop prices must stay within floor and ceiling."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="skus")
    name = models.CharField(_("specification"), max_length=60, help_text=_("e.g. 50ml, 100ml, 3-piece set"))
    code = models.CharField(_("SKU code"), max_length=40, unique=True)
    gtin = models.CharField(_("barcode (GTIN)"), max_length=14, blank=True,
                            help_text=_("EAN-13, UPC-12, GTIN-8 or GTIN-14 with its check digit"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES,
                                default=settings.DEFAULT_CURRENCY)
    retail_price = money_field(_("retail price"), validators=[MinValueValidator(Decimal("0"))])
    floor_price = money_field(_("floor price"), validators=[MinValueValidator(Decimal("0"))],
                              help_text=_("Nobody may sell below this price (控价)."))
    ceiling_price = money_field(_("ceiling price"), validators=[MinValueValidator(Decimal("0"))],
                                help_text=_("Nobody may sell above this price."))
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    on_shelf = models.BooleanField(_("on shelf"), default=True)
    drop_shipped = models.BooleanField(_("drop-shipped by supplier"), default=False,
                                       help_text=_("一件代发: the supplier ships consumer orders directly."))
    supplier = models.ForeignKey(Supplier, verbose_name=_("supplier"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="skus")
    max_per_order = models.PositiveIntegerField(_("max quantity per order"), default=999)
    # Shown before purchase; the buyer confirms it at checkout. Returns of such units are
    # refused unless the goods are defective (and then only HQ decides).
    non_returnable = models.BooleanField(_("not returnable"), default=False,
                                         help_text=_("e.g. opened cosmetics: cannot be returned once sold, "
                                                     "except when defective."))
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["product_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["gtin"], condition=~models.Q(gtin=""), name="catalog_sku_gtin_unique"),
            models.CheckConstraint(condition=models.Q(floor_price__lte=models.F("retail_price"))
                                   & models.Q(retail_price__lte=models.F("ceiling_price")),
                                   name="catalog_sku_price_order"),
            models.CheckConstraint(condition=models.Q(floor_price__gte=0), name="catalog_sku_floor_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.name}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        for field in ("retail_price", "floor_price", "ceiling_price"):
            value = getattr(self, field)
            if value is None:
                continue
            try:
                parse_amount(value, self.currency)
            except MoneyError as exc:
                errors.setdefault(field, []).append(str(exc))
        retail, floor, ceiling = self.retail_price, self.floor_price, self.ceiling_price
        if not errors and None not in (retail, floor, ceiling):
            if floor > ceiling:
                errors.setdefault("floor_price", []).append(_("The floor price cannot be above the ceiling price."))
            elif floor > retail:
                errors.setdefault("floor_price", []).append(_("The floor price cannot be above the retail price."))
            elif retail > ceiling:
                errors.setdefault("ceiling_price", []).append(_("The ceiling price cannot be below the retail price."))
        if self.gtin and not is_valid_gtin(self.gtin):
            errors.setdefault("gtin", []).append(_("This barcode is not a valid GTIN (check the digits)."))
        if self.drop_shipped and not self.supplier_id:
            errors.setdefault("supplier", []).append(_("Choose the supplier that drop-ships this SKU."))
        if self.supplier_id and not self.drop_shipped:
            errors.setdefault("drop_shipped", []).append(_("A supplier is set: mark the SKU as drop-shipped."))
        if errors:
            raise ValidationError(errors)

    def money(self, amount: Decimal) -> str:
        return format_money(amount, self.currency)

    @property
    def retail_display(self) -> str:
        return format_money(self.retail_price, self.currency)
