"""An agent whose level asks for a first stock purchase: its shop takes no consumer order
until its restocks reach it (a message on the shop page, a DomainError from the service and
the API); restocks are allowed, and the shop opens as soon as the purchase is paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tests.orders.helpers import give
from weishang.agents.models import Agent
from weishang.core.errors import DomainError
from weishang.orders import services as orders
from weishang.orders.models import Order
from weishang.payments import services as pay

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def newcomer(tree, factories):
    """A 二级 that joined under the 一级 while its level asks for ¥500 of goods first."""
    level = tree.levels[2]
    level.first_purchase_amount = D("500")
    level.save()
    agent = factories.agent(level, upline=tree.mid, name="新人")
    give(agent, tree.sku, 5)  # even with units in stock, the shop stays closed
    return agent


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_consumer_orders_are_refused_until_the_first_purchase(tree, newcomer, factories, address):
    consumer = factories.user()
    with pytest.raises(DomainError) as exc:
        orders.create_consumer_order(user=consumer, shop_agent_id=newcomer.pk, lines=[(tree.sku.pk, 1)],
                                     address=address)
    assert exc.value.code == "first_purchase_pending" and not Order.objects.filter(kind="consumer").exists()
    r = login(consumer).post("/api/v1/orders/consumer", {
        "shop_agent_id": newcomer.pk, "lines": [{"sku_id": tree.sku.pk, "quantity": 1}], "address": address},
        content_type="application/json", HTTP_IDEMPOTENCY_KEY="fp1")
    assert r.status_code == 409 and r.json()["code"] == "first_purchase_pending"

    # A restock is allowed; paying it for ¥450 is not enough, ¥630 more is.
    give(tree.mid, tree.sku, 20)
    pay.hq_topup(agent=newcomer, amount="5000", currency="CNY", reason="test", user=tree.hq_user)
    for n in (5, 7):
        restock = orders.create_restock(user=newcomer.user, lines=[(tree.sku.pk, n)])
        pay.pay(order_no=restock.no, user=newcomer.user, method="prepaid")
        assert Agent.objects.get(pk=newcomer.pk).first_purchase_pending == (n == 5)
    order = orders.create_consumer_order(user=consumer, shop_agent_id=newcomer.pk, lines=[(tree.sku.pk, 1)],
                                         address=address)
    assert order.seller_agent_id == newcomer.pk


def test_shop_page_says_so_and_offers_no_cart(tree, newcomer, factories):
    consumer = login(factories.user())
    body = consumer.get(f"/orders/shop/{newcomer.pk}/").content.decode()
    assert 'id="shop-closed"' in body and f"/orders/shop/{newcomer.pk}/cart/add/" not in body
    assert "/orders/restock/" not in body  # the restock link is for the shop's own agent
    r = consumer.post(f"/orders/shop/{newcomer.pk}/cart/add/", {"sku": tree.sku.pk, "qty": 1})
    assert r.status_code == 302 and not consumer.session.get(f"cart:{newcomer.pk}")
    own = login(newcomer.user).get(f"/orders/shop/{newcomer.pk}/").content.decode()
    assert 'id="shop-closed"' in own and "/orders/restock/" in own
    # an open shop shows no such message
    give(tree.mid, tree.sku, 1)
    open_page = consumer.get(f"/orders/shop/{tree.mid.pk}/").content.decode()
    assert 'id="shop-closed"' not in open_page and f"/orders/shop/{tree.mid.pk}/cart/add/" in open_page


def test_the_check_costs_no_query(tree, newcomer, factories, address, django_assert_max_num_queries):
    # The same pin as test_consumer.py: the shop's agent row already carries the answer, and
    # a closed shop is refused right after reading it (savepoint, agent row, rollback, release).
    give(tree.mid, tree.sku, 5)
    user = factories.user()
    with django_assert_max_num_queries(14):
        orders.create_consumer_order(user=user, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                     address=address)
    with django_assert_max_num_queries(4), pytest.raises(DomainError):
        orders.create_consumer_order(user=user, shop_agent_id=newcomer.pk, lines=[(tree.sku.pk, 1)],
                                     address=address)
