"""Upgrades through real restocks: a paid restock counts (orders → record_purchase_volume →
apply_purchase); an agent that reaches its upline's level stays in its team but from then on
buys from the next higher level above; level and price changes never rewrite past orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.orders.helpers import give
from weishang.agents import level_prices
from weishang.agents.models import Agent
from weishang.orders import services as orders
from weishang.orders.models import OrderLine, OrderShare
from weishang.payments import services as pay


@pytest.fixture
def chain(factories):
    """总代 T ← 一级 M ← 二级 B; 一级 is reached by one restock of at least 900."""
    top, one, two = factories.standard_levels()
    one.upgrade_single_purchase = Decimal("900")
    one.save()
    sku = factories.sku(retail_price=Decimal("128"), floor_price=Decimal("50"))
    for lv, p in ((top, "50"), (one, "70"), (two, "90")):
        factories.level_price(lv, sku, p)
    t = factories.agent(top, name="T")
    m = factories.agent(one, upline=t, name="M")
    b = factories.agent(two, upline=m, name="B")
    hq = factories.staff("admin")
    return {"levels": (top, one, two), "sku": sku, "t": t, "m": m, "b": b, "hq": hq}


def _paid_restock(c, agent, qty):
    pay.hq_topup(agent=agent, amount="100000", currency="CNY", reason="test", user=c["hq"])
    order = orders.create_restock(user=agent.user, lines=[(c["sku"].pk, qty)])
    pay.pay(order_no=order.no, user=agent.user, method="prepaid")
    order.refresh_from_db()
    return order


def test_a_paid_restock_upgrades_and_the_next_restock_goes_to_the_next_higher_upline(chain):
    top, one, two = chain["levels"]
    give(chain["m"], chain["sku"], 50)
    give(chain["t"], chain["sku"], 50)
    first = _paid_restock(chain, chain["b"], 10)  # 10 × 90 = 900 from M, its 一级 upline
    assert first.seller_agent == chain["m"]
    b = Agent.objects.select_related("level").get(pk=chain["b"].pk)
    assert b.level == one
    assert (b.upline_id, b.recruiter_id) == (chain["m"].pk, chain["m"].pk)  # still in M's team
    # Now a 一级 under a 一级: it buys from the nearest strictly higher level, T (总代).
    second = _paid_restock(chain, b, 1)
    assert second.seller_agent == chain["t"]
    line = second.lines.get()
    assert (line.unit_price, line.seller_level_price) == (Decimal("70.00"), Decimal("50.00"))
    # The routing itself: M is no longer a candidate, T is first.
    _own, candidates = orders.supply_candidates(b, [chain["sku"].pk])
    assert [c.agent_id for c in candidates] == [chain["t"].pk, None]


def test_level_and_price_changes_never_rewrite_past_orders(chain, factories):
    top, one, two = chain["levels"]
    give(chain["m"], chain["sku"], 50)
    order = _paid_restock(chain, chain["b"], 2)  # 180: no upgrade
    snapshot = list(OrderLine.objects.filter(order=order).values("unit_price", "amount", "buyer_level_price",
                                                                  "seller_level_price"))
    shares = list(OrderShare.objects.filter(order=order).values_list("role", "amount"))
    total = order.total
    level_prices.save_table({(two.pk, chain["sku"].pk): "100", (one.pk, chain["sku"].pk): "80"})
    from weishang.agents import services

    services.change_level(chain["b"], one, actor=chain["hq"], reason="test")
    order.refresh_from_db()
    assert order.total == total
    assert list(OrderLine.objects.filter(order=order).values("unit_price", "amount", "buyer_level_price",
                                                              "seller_level_price")) == snapshot
    assert list(OrderShare.objects.filter(order=order).values_list("role", "amount")) == shares
    assert snapshot[0]["unit_price"] == Decimal("90.00")
