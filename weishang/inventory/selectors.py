"""Stock reads."""

from __future__ import annotations

from django.db.models import Sum

from .models import HQ, HQ_DAMAGED, Stock, StockMovement, owner_key


def stock_of(agent_id: int | None):
    return (Stock.objects.filter(owner=owner_key(agent_id)).select_related("sku__product")
            .order_by("sku__product__position", "sku__position", "sku_id"))


def movements_of(agent_id: int | None, sku_id: int | None = None):
    qs = StockMovement.objects.filter(stock__owner=owner_key(agent_id)).select_related("stock__sku__product",
                                                                                      "created_by")
    if sku_id:
        qs = qs.filter(stock__sku_id=sku_id)
    return qs.order_by("-id")


def all_stock():
    return Stock.objects.select_related("sku__product", "agent").order_by("sku_id", "owner")


def totals_by_sku() -> list[dict]:
    """Units per SKU: HQ's own, agents' cloud stock, and the warehouse total (both)."""
    rows: dict[int, dict] = {}
    for sku_id, owner, qty, reserved in Stock.objects.values_list("sku_id", "owner", "quantity", "reserved"):
        row = rows.setdefault(sku_id, {"sku_id": sku_id, "hq": 0, "agents": 0, "reserved": 0, "damaged": 0})
        row["hq" if owner == HQ else "damaged" if owner == HQ_DAMAGED else "agents"] += qty
        row["reserved"] += reserved
    for row in rows.values():
        row["warehouse"] = row["hq"] + row["agents"]
    return sorted(rows.values(), key=lambda r: r["sku_id"])


def drift() -> list[tuple[int, int, int]]:
    """Stocks whose quantity is not the sum of their movements: [(stock id, quantity, sum)]."""
    sums = dict(StockMovement.objects.values_list("stock_id").annotate(s=Sum("quantity"))
                .values_list("stock_id", "s"))
    return [(pk, q, sums.get(pk) or 0) for pk, q in Stock.objects.values_list("pk", "quantity")
            if (sums.get(pk) or 0) != q]
