"""Demo levels for the demo brand: 总代 / 一级 / 二级 / 特约 with upgrade rules by purchase
volume and a price per SKU between floor and retail (higher ranks pay less). Idempotent:
levels are found by rank, a rule is filled only where a level has none, and only missing
price cells are added (through the price table's all-or-nothing save)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from weishang.catalog.models import SKU

from . import level_prices
from .level_models import Level, LevelPrice

# rank, name, HQ approves applications, share of (retail - floor) above floor, single restock,
# cumulative, period days, upgrade needs approval, first stock purchase on joining
LEVELS = [
    (1, "总代", True, Decimal("0"), None, "60000", 90, True, "20000"),
    (2, "一级", False, Decimal("0.3"), "8000", "20000", 90, False, "5000"),
    (3, "二级", False, Decimal("0.6"), "2000", "6000", 90, False, "1000"),
    (4, "特约", False, Decimal("0.85"), None, None, None, False, None),
]


def demo_price(sku: SKU, share: Decimal) -> Decimal:
    """floor + share × (retail − floor), rounded down to a whole unit (valid in CNY and TWD)."""
    raw = sku.floor_price + (sku.retail_price - sku.floor_price) * share
    whole = raw.to_integral_value(rounding=ROUND_FLOOR)
    return max(sku.floor_price, min(whole, sku.retail_price)).quantize(Decimal("0.01"))


def load(ctx: dict) -> list[Level]:
    levels = []
    for rank, name, hq_approves, _share, single, cumulative, days, approval, first in LEVELS:
        level = Level.objects.filter(rank=rank).first() or Level.objects.create(
            rank=rank, name=name, requires_hq_approval=hq_approves)
        if not level.has_upgrade_rule and level.first_purchase_amount is None and (cumulative or first):
            level.upgrade_single_purchase = Decimal(single) if single else None
            level.upgrade_cumulative_amount = Decimal(cumulative) if cumulative else None
            level.upgrade_period_days = days
            level.upgrade_needs_approval = approval
            level.first_purchase_amount = Decimal(first) if first else None
            level.full_clean()
            level.save()
            ctx.setdefault("created", []).append(f"level rule {name}")
        levels.append(level)
    shares = {rank: share for rank, _n, _a, share, *_rest in LEVELS}
    priced = set(LevelPrice.objects.values_list("level_id", "sku_id"))
    skus = list(ctx.get("skus") or SKU.objects.all())
    cells = {(lv.pk, sku.pk): str(demo_price(sku, shares[lv.rank])) for lv in levels for sku in skus
             if (lv.pk, sku.pk) not in priced}
    if cells:
        level_prices.save_table(cells)
        ctx.setdefault("created", []).append(f"{len(cells)} level prices")
    ctx["levels"] = levels
    return levels
