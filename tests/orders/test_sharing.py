"""Share links: a signed agent ref on a shop link → the consumer's order records the
sharer → on payment the sharer's pending share commission is the rule's percentage of
the paid amount after discounts (the shop price, not the list price; never the fee)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tests.orders.helpers import give, pay_offline
from weishang.earnings import services as earnings
from weishang.earnings.models import Earning
from weishang.earnings.rules import RuleKind
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import services as orders
from weishang.orders import sharing
from weishang.orders.models import FeeRule, FeeTemplate, Order

pytestmark = pytest.mark.django_db
D = Decimal
FORM = {"name": "王五", "phone": "13912345678", "region_province": "110000", "region_city": "110100",
        "region_district": "110101", "detail": "1 号"}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def shared(tree, factories):
    earnings.save_rule(kind=RuleKind.SHARE, rates="5")
    orders.set_shop_price(agent=tree.mid, sku=tree.sku, price="110.00")  # below the 128 list price
    give(tree.mid, tree.sku, 5)
    tpl = FeeTemplate.objects.create(name="std", currency="CNY", first_fee=D("10"), extra_fee=D("2"))
    FeeRule.objects.create(template=tpl, province_code="110000", first_fee=D("10"), extra_fee=D("2"))
    orders.clear_fee_template_cache()
    sharer = factories.agent(tree.levels[2], upline=tree.top, name="分享者")
    return sharer


def buy_through(link: str, shop, sku, consumer, qty=2, key="k1") -> Order:
    c = client_for(consumer)
    assert c.get(link).status_code == 200
    c.post(f"/orders/shop/{shop.pk}/cart/add/", {"sku": sku.pk, "qty": qty})
    r = c.post(f"/orders/shop/{shop.pk}/checkout/", {**FORM, "idempotency_key": key})
    assert r.status_code == 302, r.content[:1500]
    order = Order.objects.filter(buyer=consumer).latest("id")
    pay_offline(order, consumer, shop.user)
    return order


def test_share_link_to_order_to_commission(tree, factories, shared):
    sharer = shared
    # The agent sees a share button with its signed link and a QR on the shop page.
    page = client_for(sharer.user).get(f"/orders/shop/{tree.mid.pk}/")
    link = sharing.shop_path(tree.mid.pk, sharer.pk)
    assert link in page.content.decode()
    qr = client_for(sharer.user).get(f"/orders/shop/{tree.mid.pk}/qr.svg?s={sharing.token_for(sharer.pk)}")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"

    order = buy_through(link, tree.mid, tree.sku, factories.user())
    assert order.shared_by_id == sharer.pk
    assert order.goods_total == D("220.00") and order.shipping_fee == D("12.00")
    e = Earning.objects.get(order_ref=order.no, kind=RuleKind.SHARE)
    assert e.agent_id == sharer.pk and e.state == "pending"
    assert e.amount == D("11.00")  # 5% of 220 paid for goods after the shop's discount; not of 256, not the fee
    assert unbalanced_journals() == [] and drift() == []


def test_forged_own_and_frozen_sharers_earn_nothing(tree, factories, shared):
    sharer = shared
    forged = f"/orders/shop/{tree.mid.pk}/?s={sharer.pk}:forged"
    o1 = buy_through(forged, tree.mid, tree.sku, factories.user(), qty=1, key="a")
    assert o1.shared_by_id is None
    token = sharing.token_for(sharer.pk)
    assert sharing.agent_id_from(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    own = sharing.shop_path(tree.mid.pk, tree.mid.pk)
    o2 = buy_through(own, tree.mid, tree.sku, factories.user(), qty=1, key="b")
    assert o2.shared_by_id is None
    sharer.status = "frozen"
    sharer.save()
    o3 = buy_through(sharing.shop_path(tree.mid.pk, sharer.pk), tree.mid, tree.sku, factories.user(), qty=1, key="c")
    assert o3.shared_by_id is None
    assert not Earning.objects.filter(kind=RuleKind.SHARE).exists()


def test_api_takes_the_share_token(tree, factories, shared, address):
    sharer = shared
    consumer = factories.user()
    c = client_for(consumer)
    body = {"shop_agent_id": tree.mid.pk, "lines": [{"sku_id": tree.sku.pk, "quantity": 1}], "address": address,
            "share": sharing.token_for(sharer.pk)}
    r = c.post("/api/v1/orders/consumer", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="s1")
    assert r.status_code == 201, r.content
    assert Order.objects.get(no=r.json()["no"]).shared_by_id == sharer.pk
    body["share"] = "1:nope"
    r = c.post("/api/v1/orders/consumer", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="s2")
    assert r.status_code == 201 and Order.objects.get(no=r.json()["no"]).shared_by_id is None


def test_a_sharer_frozen_between_order_and_payment_earns_nothing(tree, factories, shared, address):
    from weishang.agents import services as agents

    sharer = shared
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 2)],
                                         address=address, shared_by_id=sharer.pk)
    assert order.shared_by_id == sharer.pk  # active when the order was created
    agents.freeze_agent(sharer, actor=tree.hq_user, reason="价格投诉")
    pay_offline(order, consumer, tree.mid.user)
    assert order.status == "paid" and order.shared_by_id == sharer.pk  # who shared stays on record
    assert not Earning.objects.filter(kind=RuleKind.SHARE).exists()
    assert Earning.objects.filter(order_ref=order.no, agent=tree.mid).exists()  # the shop is paid as usual
    assert unbalanced_journals() == [] and drift() == []
    # reactivated before the next payment: the next order pays it again
    agents.reactivate_agent(sharer, actor=tree.hq_user, reason="核查完毕")
    give(tree.mid, tree.sku, 1)
    order2 = orders.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                          address=address, shared_by_id=sharer.pk)
    pay_offline(order2, consumer, tree.mid.user)
    assert Earning.objects.get(kind=RuleKind.SHARE).order_ref == order2.no
