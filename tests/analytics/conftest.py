from __future__ import annotations

import pytest

from tests.orders.helpers import build_tree, give, paid_restock, pay_offline

ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "440000", "city_code": "440300",
           "district_code": "440305", "detail": "科技园 1 号"}


@pytest.fixture
def sales(factories):
    """Real paid orders through the services: a restock (一级 buys from 总代) and two consumer
    orders shipped to Guangdong, plus one pick-up (not a sale)."""
    from weishang.accounts.roles import sync_hq_roles
    from weishang.orders import services as orders
    from weishang.orders.services import clear_fee_template_cache

    clear_fee_template_cache()
    sync_hq_roles()
    t = build_tree(factories)
    restock = paid_restock(t, 2)
    give(t.mid, t.sku, 10)
    consumer = factories.user()
    shop = []
    for n in (1, 2):
        o = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(t.sku.pk, n)], address=ADDRESS)
        shop.append(pay_offline(o, consumer, t.mid.user))
    clear_fee_template_cache()
    return {"tree": t, "restock": restock, "shop": shop}
