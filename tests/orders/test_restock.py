from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.orders.helpers import give, qty
from weishang.core.errors import DomainError
from weishang.orders import services
from weishang.orders.models import Order, OrderShare, OrderStatus, ShareRole
from weishang.payments import services as pay

pytestmark = pytest.mark.django_db


def topup(tree, agent, amount="10000"):
    return pay.hq_topup(agent=agent, amount=amount, currency="CNY", reason="test", user=tree.hq_user)


def test_restock_from_upline_with_stock_is_a_sale_at_the_buyer_price(tree):
    """The issue's example: 二级 orders 10, its 一级 holds 10: 一级 receives 900."""
    give(tree.mid, tree.sku, 10)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 10)])
    assert order.status == OrderStatus.PENDING
    assert order.seller_agent == tree.mid
    assert order.total == Decimal("900.00")
    assert qty(tree.mid, tree.sku) == (10, 10)  # reserved, not yet sold
    line = order.lines.get()
    assert (line.unit_price, line.buyer_level_price, line.seller_level_price) == (
        Decimal("90.00"), Decimal("90.00"), Decimal("70.00"))
    share = OrderShare.objects.get(order=order)
    assert (share.role, share.agent, share.amount) == (ShareRole.SELLER_PROCEEDS, tree.mid, Decimal("900.00"))
    topup(tree, tree.low)
    pay.pay(order_no=order.no, user=tree.low.user, method="prepaid")
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED
    assert qty(tree.mid, tree.sku) == (0, 0)
    assert qty(tree.low, tree.sku) == (10, 0)
    assert pay.prepaid_balance(tree.low.pk, "CNY") == Decimal("9100.00")


def test_restock_skips_uplines_of_same_or_lower_level(tree, factories):
    """A 二级 under another 二级: the nearest strictly higher level is the 一级 above."""
    l3 = tree.levels[2]
    lowest = factories.agent(l3, upline=tree.low)
    give(tree.mid, tree.sku, 5)
    give(tree.low, tree.sku, 5)
    order = services.create_restock(user=lowest.user, lines=[(tree.sku.pk, 3)])
    assert order.seller_agent == tree.mid


def test_no_stock_waits_for_upline_then_passes_up_to_hq(tree, settings):
    settings.ORDERS_RESTOCK_WAIT_HOURS = 24
    give(None, tree.sku, 100)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 4)])
    assert order.status == OrderStatus.AWAITING_STOCK
    assert order.seller_agent == tree.mid
    assert order.wait_until is not None
    # Not yet expired: nothing happens.
    services.route_waiting(timezone.now())
    order.refresh_from_db()
    assert order.seller_agent == tree.mid and order.status == OrderStatus.AWAITING_STOCK
    # Deadline passed: to the 总代, who has nothing either -> waits there.
    services.route_waiting(timezone.now() + timedelta(hours=25))
    order.refresh_from_db()
    assert order.seller_agent == tree.top and order.status == OrderStatus.AWAITING_STOCK
    assert [p["agent_id"] for p in order.passed_over] == [tree.mid.pk]
    # Its deadline passes too: to HQ, which has stock.
    services.route_waiting(timezone.now() + timedelta(hours=60))
    order.refresh_from_db()
    assert order.seller_agent is None and order.status == OrderStatus.PENDING
    assert qty(None, tree.sku) == (100, 4)
    share = OrderShare.objects.get(order=order)
    assert share.is_hq and share.role == ShareRole.HQ_REVENUE and share.amount == Decimal("360.00")
    events = list(order.events.values_list("to_status", flat=True))
    assert events[-1] == OrderStatus.PENDING


def test_upline_restocks_in_time_and_waiting_order_fills(tree):
    give(None, tree.sku, 50)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 5)])
    assert order.status == OrderStatus.AWAITING_STOCK and order.seller_agent == tree.mid
    # The 一级 restocks from HQ (its 总代 has nothing; wait 0 for this test via HQ stock route)
    give(tree.mid, tree.sku, 5)
    assert services.retry_waiting_for(tree.mid.pk) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and order.seller_agent == tree.mid


def test_wait_zero_passes_up_at_once_and_records_passed_over_difference(tree, settings):
    settings.ORDERS_RESTOCK_WAIT_HOURS = 0
    settings.ORDERS_PASSED_OVER_EARNS = True
    give(tree.top, tree.sku, 10)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 10)])
    assert order.status == OrderStatus.PENDING and order.seller_agent == tree.top
    shares = {(s.role, s.agent_id): (s.amount, s.depth) for s in order.shares.all()}
    assert shares == {
        (ShareRole.PASSED_OVER, tree.mid.pk): (Decimal("200.00"), 1),   # (90 - 70) x 10
        (ShareRole.SELLER_PROCEEDS, tree.top.pk): (Decimal("700.00"), 0),
    }
    assert sum(s.amount for s in order.shares.all()) == order.total


def test_passed_over_earns_nothing_by_default(tree, settings):
    settings.ORDERS_RESTOCK_WAIT_HOURS = 0
    give(tree.top, tree.sku, 10)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 10)])
    assert [(s.role, s.agent_id, s.amount) for s in order.shares.all()] == [
        (ShareRole.SELLER_PROCEEDS, tree.top.pk, Decimal("900.00"))]


def test_restock_paid_sends_signal_and_records_volume(tree):
    from weishang.agents.models import AgentMonth, AgentPurchase
    from weishang.orders import signals

    seen = []
    signals.order_paid.connect(lambda sender, order, payment, **kw: seen.append(order.no), weak=False,
                               dispatch_uid="t-paid")
    try:
        give(tree.mid, tree.sku, 2)
        order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 2)])
        topup(tree, tree.low)
        assert not AgentPurchase.objects.exists()  # ordering alone counts nothing
        pay.pay(order_no=order.no, user=tree.low.user, method="prepaid")
    finally:
        signals.order_paid.disconnect(dispatch_uid="t-paid")
    assert seen == [order.no]
    assert list(AgentPurchase.objects.values_list("agent_id", "amount")) == [(tree.low.pk, Decimal("180.00"))]
    months = {m.agent_id: m for m in AgentMonth.objects.all()}
    assert months[tree.low.pk].own_total == Decimal("180.00")
    assert months[tree.mid.pk].team_total == Decimal("180.00") and months[tree.top.pk].team_total == Decimal("180.00")


def test_frozen_agent_cannot_restock(tree):
    tree.low.status = "frozen"
    tree.low.save()
    with pytest.raises(DomainError) as exc:
        services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 1)])
    assert exc.value.code == "agent_not_active"
    assert not Order.objects.exists()


@pytest.mark.parametrize("lines,code", [
    ([(999999, 1)], "invalid_item"),
    ([("x", 1)], "invalid_quantity"),
    ([], "empty_order"),
])
def test_bad_restock_lines(tree, lines, code):
    with pytest.raises(DomainError) as exc:
        services.create_restock(user=tree.low.user, lines=lines)
    assert exc.value.code == code
    assert not Order.objects.exists()


def test_quantity_zero_negative_and_above_limit(tree):
    for q in (0, -3):
        with pytest.raises(DomainError) as exc:
            services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, q)])
        assert exc.value.code == "invalid_quantity"
    tree.sku.max_per_order = 5
    tree.sku.save()
    with pytest.raises(DomainError) as exc:
        services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 6)])
    assert exc.value.code == "invalid_item"
    tree.sku.on_shelf = False
    tree.sku.save()
    with pytest.raises(DomainError):
        services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 1)])
    assert not Order.objects.exists()


def test_cancel_releases_reservation_and_cannot_cancel_twice(tree):
    give(tree.mid, tree.sku, 3)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 3)])
    assert qty(tree.mid, tree.sku) == (3, 3)
    with pytest.raises(DomainError):
        services.cancel(order, actor=tree.mid.user)  # not the buyer
    services.cancel(order, actor=tree.low.user, reason="changed my mind")
    assert qty(tree.mid, tree.sku) == (3, 0)
    with pytest.raises(services.IllegalTransition):
        services.cancel(order, actor=tree.low.user)
    ev = order.events.last()
    assert (ev.from_status, ev.to_status, ev.actor_id, ev.reason) == ("pending", "cancelled", tree.low.user.pk,
                                                                       "changed my mind")


def test_payment_timeout_cancels_and_releases(tree):
    give(tree.mid, tree.sku, 3)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 3)])
    assert services.expire_unpaid(timezone.now()) == 0
    assert services.expire_unpaid(timezone.now() + timedelta(days=2)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert qty(tree.mid, tree.sku) == (3, 0)


def test_routing_query_count_does_not_grow_with_depth_or_lines(tree, factories, django_assert_max_num_queries):
    """A restock from a stocked upline: a constant plus one query per extra line, whatever the depth."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    l1, l2, l3 = tree.levels
    # Deep chain: 8 more 二级 below the 二级 C. They route to 一级 B (the nearest higher level).
    agent = tree.low
    for _ in range(8):
        agent = factories.agent(l3, upline=agent)
    give(tree.mid, tree.sku, 100)
    give(tree.mid, tree.sku2, 100)
    with django_assert_max_num_queries(13):
        services.create_restock(user=agent.user, lines=[(tree.sku.pk, 1)])
    with django_assert_max_num_queries(16):
        services.create_restock(user=agent.user, lines=[(tree.sku.pk, 1), (tree.sku2.pk, 1)])
    with CaptureQueriesContext(connection) as shallow:
        services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 1)])
    with CaptureQueriesContext(connection) as deep:
        services.create_restock(user=agent.user, lines=[(tree.sku.pk, 1)])
    assert len(deep.captured_queries) == len(shallow.captured_queries)


def test_hq_adjustment_fills_restocks_waiting_for_hq(tree, settings):
    import json

    from django.test import Client

    settings.ORDERS_RESTOCK_WAIT_HOURS = 0
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 3)])
    assert order.status == OrderStatus.AWAITING_STOCK and order.seller_agent is None and order.wait_until is None
    c = Client()
    c.force_login(tree.hq_user)
    r = c.post("/api/v1/inventory/hq/adjust", json.dumps({"sku_id": tree.sku.pk, "quantity": 10, "reason": "到货"}),
               content_type="application/json", HTTP_IDEMPOTENCY_KEY="adj")
    assert r.status_code == 201
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and qty(None, tree.sku) == (10, 3)
