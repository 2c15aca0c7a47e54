"""Demo levels: valid price table, rules set, idempotent."""

from __future__ import annotations

from weishang.agents import demo_levels, level_prices
from weishang.agents.level_models import Level, LevelPrice


def test_demo_levels_make_a_valid_table_and_load_twice_without_change(db):
    from weishang.catalog import demo as catalog_demo

    ctx: dict = {"logins": [], "created": []}
    catalog_demo.load(ctx)
    demo_levels.load(ctx)
    table = level_prices.load_table()
    assert [lv.name for lv in table.levels] == ["总代", "一级", "二级", "特约"]
    assert len(table.prices) == 4 * len(ctx["skus"])
    assert level_prices.check(table, table.prices) == []
    one = Level.objects.get(name="一级")
    assert one.has_upgrade_rule and not one.upgrade_needs_approval
    assert Level.objects.get(name="总代").upgrade_needs_approval
    before = (list(LevelPrice.objects.order_by("pk").values_list("pk", "price")),
              list(Level.objects.order_by("pk").values()))
    demo_levels.load({"logins": [], "created": []})
    assert before == (list(LevelPrice.objects.order_by("pk").values_list("pk", "price")),
                      list(Level.objects.order_by("pk").values()))
