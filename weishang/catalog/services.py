"""Catalog writes. Each validates the whole object and saves it in one transaction, or
raises DomainError with per-field messages and saves nothing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import Conflict, DomainError, NotFound, from_validation_error
from weishang.core.money import MoneyError, parse_amount
from weishang.core.uploads import accept_image

from .models import SKU, Product, ProductImage, ProductLine, Supplier

SKU_FIELDS = ("name", "code", "gtin", "currency", "retail_price", "floor_price", "ceiling_price", "weight_grams",
              "on_shelf", "drop_shipped", "supplier_id", "max_per_order", "position")
PRODUCT_FIELDS = ("line_id", "name", "subtitle", "description", "on_shelf", "position")
MONEY_FIELDS = ("retail_price", "floor_price", "ceiling_price")


# Model field names as the API calls them.
API_FIELD_NAMES = {"supplier": "supplier_id", "line": "line_id", "product": "product_id"}


def _save(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        err = from_validation_error(exc)
        err.fields = {API_FIELD_NAMES.get(name, name): msgs for name, msgs in err.fields.items()}
        raise err from None
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        # full_clean checked uniqueness; a concurrent request saved the same code first.
        raise Conflict(_("This conflicts with a record saved at the same time. Reload and try again."),
                       code="conflict") from None


def _apply(obj, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}, code="unknown_field")
    bad = {key: [_("Remove the NUL character from this text.")] for key, value in data.items()
           if isinstance(value, str) and "\x00" in value}
    if bad:
        raise DomainError(_("Some fields are not valid."), code="validation_error", fields=bad)
    for key, value in data.items():
        setattr(obj, key, value)


def _parse_money_fields(data: dict[str, Any], currency: str) -> dict[str, Any]:
    errors: dict[str, list] = {}
    out = dict(data)
    for field in MONEY_FIELDS:
        if field in out and out[field] is not None:
            try:
                out[field] = parse_amount(out[field], currency)
            except MoneyError as exc:
                errors[field] = [str(exc)]
    if errors:
        raise DomainError(_("Please correct the prices."), code="validation_error", fields=errors)
    return out


def _check_refs(data: dict[str, Any]) -> None:
    if data.get("supplier_id") is not None and not Supplier.objects.filter(pk=data["supplier_id"]).exists():
        raise DomainError(_("Unknown supplier."), code="validation_error",
                          fields={"supplier_id": [_("This supplier does not exist.")]})
    if "line_id" in data and not ProductLine.objects.filter(pk=data["line_id"]).exists():
        raise DomainError(_("Unknown product line."), code="validation_error",
                          fields={"line_id": [_("This product line does not exist.")]})


@transaction.atomic
def create_product(**data: Any) -> Product:
    _check_refs(data)
    product = Product()
    _apply(product, data, PRODUCT_FIELDS)
    _save(product)
    return product


@transaction.atomic
def update_product(product_id: int, **data: Any) -> Product:
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found."))
    _check_refs(data)
    _apply(product, data, PRODUCT_FIELDS)
    _save(product)
    return product


@transaction.atomic
def create_sku(product_id: int, **data: Any) -> SKU:
    if not Product.objects.filter(pk=product_id).exists():
        raise NotFound(_("Product not found."))
    _check_refs(data)
    sku = SKU(product_id=product_id)
    data = _parse_money_fields(data, data.get("currency") or sku.currency)
    _apply(sku, data, SKU_FIELDS)
    _save(sku)
    return sku


@transaction.atomic
def update_sku(sku_id: int, **data: Any) -> SKU:
    sku = SKU.objects.select_for_update().filter(pk=sku_id).first()
    if sku is None:
        raise NotFound(_("SKU not found."))
    _check_refs(data)
    data = _parse_money_fields(data, data.get("currency") or sku.currency)
    _apply(sku, data, SKU_FIELDS)
    _save(sku)
    return sku


@transaction.atomic
def add_product_image(product_id: int, file, *, main: bool = False) -> ProductImage:
    """Store an uploaded product photo after checking it really is a JPEG/PNG/WebP image
    of acceptable size. With main=True (or when the product has none) it also becomes the
    main image."""
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found."))
    clean = accept_image(file, field="file")
    position = product.images.count()
    image = ProductImage(product=product, position=position)
    image.image.save(str(clean.name), clean, save=False)
    image.save()
    if main or not product.image:
        product.image = image.image.name  # the same stored (re-encoded) file
        product.save(update_fields=["image", "updated_at"])
    return image
