"""Demo levels for the demo brand: 总代 / 一级 / 二级 / 特约 with upgrade rules by purchase
volume and a price per SKU between floor and retail (higher ranks pay less). Idempotent:
levels are found by rank, a rule is filled only where a level has none, and only missing
price cells are added (through the price table's all-or-nothing save)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from weishang.catalog.models import SKU

from . import level_prices
from .level_models import Level, LevelPrice

# rank, name, share of (retail - floor) above floor, single, cumulative, days, needs approval, first purchase
LEVELS = [
    (1, "总代", Decimal("0"), "30000", "100000", 90, True, "30000"),
    (2, "一级", Decimal("0.3"), "10000", "30000", 30, False, "10000"),
    (3, "二级", Decimal("0.6"), "3000", "8000", 30, False, "3000"),
    (4, "特约", Decimal("0.85"), None, None, None, False, None),
]


def demo_price(sku: SKU, share: Decimal) -> Decimal:
    """floor + share × (retail − floor), rounded down to a whole unit (valid in CNY and TWD)."""
    raw = sku.floor_price + (sku.retail_price - sku.floor_price) * share
    whole = raw.to_integral_value(rounding=ROUND_FLOOR)
    return max(sku.floor_price, min(whole, sku.retail_price)).quantize(Decimal("0.01"))


def load(ctx: dict) -> list[Level]:
    levels = []
    for rank, name, _share, single, cumulative, days, approval, first in LEVELS:
        level = Level.objects.filter(rank=rank).first() or Level.objects.create(rank=rank, name=name)
        if not level.has_upgrade_rule and level.first_purchase_amount is None and (single or first):
            level.upgrade_single_purchase = Decimal(single) if single else None
            level.upgrade_cumulative_amount = Decimal(cumulative) if cumulative else None
            level.upgrade_period_days = days
            level.upgrade_needs_approval = approval
            level.first_purchase_amount = Decimal(first) if first else None
            level.full_clean()
            level.save()
            ctx.setdefault("created", []).append(f"level rule {name}")
        levels.append(level)
    shares = {rank: share for rank, _n, share, *_rest in LEVELS}
    priced = set(LevelPrice.objects.values_list("level_id", "sku_id"))
    skus = list(ctx.get("skus") or SKU.objects.all())
    cells = {(lv.pk, sku.pk): str(demo_price(sku, shares[lv.rank])) for lv in levels for sku in skus
             if (lv.pk, sku.pk) not in priced}
    if cells:
        level_prices.save_table(cells)
        ctx.setdefault("created", []).append(f"{len(cells)} level prices")
    ctx["levels"] = levels
    return levels
