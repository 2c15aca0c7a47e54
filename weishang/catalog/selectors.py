"""Catalog reads for the shop and the API. Query counts are pinned by tests."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import SKU, Product, ProductLine


def shelf_products(line_id: int | None = None) -> QuerySet[Product]:
    """Products a consumer can buy: on shelf with at least one SKU on shelf (optionally
    of one product line)."""
    skus = SKU.objects.filter(on_shelf=True).order_by("position", "id")
    qs = Product.objects.filter(on_shelf=True, skus__on_shelf=True)
    if line_id is not None:
        qs = qs.filter(line_id=line_id)
    return (qs.distinct()
            .select_related("line").prefetch_related(Prefetch("skus", queryset=skus, to_attr="shelf_skus"))
            .order_by("line__position", "position", "id"))


def shelf_product(product_id: int) -> Product | None:
    return (Product.objects.filter(pk=product_id, on_shelf=True).select_related("line")
            .prefetch_related(Prefetch("skus", queryset=SKU.objects.filter(on_shelf=True).order_by("position", "id"),
                                       to_attr="shelf_skus"), "images").first())


def all_products() -> QuerySet[Product]:
    return Product.objects.select_related("line").prefetch_related("skus").order_by("position", "id")


def shelf_lines() -> list[ProductLine]:
    """Product lines that have something on shelf, for the shop's category chips."""
    return list(ProductLine.objects.filter(products__on_shelf=True, products__skus__on_shelf=True).distinct()
                .order_by("position", "id"))
