from __future__ import annotations

import pytest

from weishang.inventory import selectors as stock_selectors
from weishang.orders import selectors
from weishang.orders.models import Order

pytestmark = pytest.mark.django_db


def test_demo_loads_twice_without_duplicates(factories):
    from weishang.accounts import demo as accounts_demo
    from weishang.catalog import demo as catalog_demo
    from weishang.inventory import demo as inventory_demo
    from weishang.orders import demo as orders_demo
    from weishang.payments import demo as payments_demo

    ctx: dict = {"logins": [], "created": []}
    accounts_demo.load(ctx)
    catalog_demo.load(ctx)
    l1, l2, l3 = factories.standard_levels()
    for sku in ctx["skus"]:
        for level, price in ((l1, sku.retail_price * 4 / 10), (l2, sku.retail_price * 55 / 100),
                             (l3, sku.retail_price * 7 / 10)):
            factories.level_price(level, sku, round(price, 2))
    top = factories.agent(l1, name="总代", user=factories.user(phone="+8613600000011"))
    mid = factories.agent(l2, upline=top, name="一级", user=factories.user(phone="+8613600000012"))
    factories.agent(l3, upline=mid, name="二级", user=factories.user(phone="+8613600000013"))
    for module in (inventory_demo, orders_demo, payments_demo):
        module.load(ctx)
    first = len(ctx["created"])
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {"pending", "paid", "shipped", "received", "completed", "cancelled", "refunded"} <= statuses
    assert Order.objects.filter(refund_requests__status="requested").exists()
    assert Order.objects.filter(kind="restock").exists()
    ctx2: dict = {"logins": [], "created": []}
    accounts_demo.load(ctx2)
    catalog_demo.load(ctx2)
    for module in (inventory_demo, orders_demo, payments_demo):
        module.load(ctx2)
    assert ctx2["created"] == [] and first > 0
    assert stock_selectors.drift() == []
    assert all(selectors.share_check(o) for o in Order.objects.all())
