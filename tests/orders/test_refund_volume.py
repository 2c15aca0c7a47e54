"""A refunded restock no longer counts toward the buyer's purchase volume (upgrades, the
month's own and team totals), in proportion to the goods refunded; a level already reached
stays."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.agents.recompute import assert_counters_match
from tests.orders.helpers import give, paid_restock, pay_offline
from weishang.agents import selectors
from weishang.agents.models import Agent, AgentPurchase
from weishang.orders import refunds
from weishang.orders import services as orders
from weishang.orders.models import RefundKind

pytestmark = pytest.mark.django_db
D = Decimal


def volume(agent) -> tuple[Decimal, Decimal]:
    s = selectors.team_summary(agent)
    return s.own_purchases, s.team_purchases


def test_full_refund_takes_the_whole_purchase_back(tree):
    order = paid_restock(tree)
    assert volume(tree.low) == (D("900.00"), D(0)) and volume(tree.mid)[1] == D("900.00")
    req = refunds.request_refund(order, user=tree.low.user, kind=RefundKind.FULL, reason="wrong item")
    refunds.decide_refund(req.pk, actor=tree.mid.user, approve=True)
    assert volume(tree.low)[0] == 0 and volume(tree.mid)[1] == 0 and volume(tree.top)[1] == 0
    back = AgentPurchase.objects.get(agent=tree.low, amount__lt=0)
    assert back.amount == D("-900.00") and back.at == order.paid_at and order.no in back.reason
    assert selectors.net_purchases(tree.low.pk) == 0
    assert_counters_match()


def test_partial_refunds_take_back_the_goods_refunded(tree):
    order = paid_restock(tree)
    line = order.lines.get()
    req = refunds.request_refund(order, user=tree.low.user, kind=RefundKind.LINES, quantities={line.pk: 3},
                                 reason="three broken")
    refunds.decide_refund(req.pk, actor=tree.mid.user, approve=True)
    assert volume(tree.low)[0] == D("630.00") and volume(tree.top)[1] == D("630.00")  # 900 - 3 × 90
    req = refunds.request_refund(order, user=tree.low.user, kind=RefundKind.AMOUNT, amount="100.50", reason="late")
    refunds.decide_refund(req.pk, actor=tree.mid.user, approve=True)
    assert volume(tree.low)[0] == D("529.50") and volume(tree.mid)[1] == D("529.50")
    # and the rest: nothing left, nothing below zero
    req = refunds.request_refund(order, user=tree.low.user, kind=RefundKind.FULL, reason="all")
    refunds.decide_refund(req.pk, actor=tree.mid.user, approve=True)
    assert volume(tree.low) == (0, 0) and volume(tree.mid)[1] == 0
    assert_counters_match()


def test_cancelling_a_paid_restock_takes_it_back(tree):
    order = paid_restock(tree)
    refunds.cancel_paid(order, actor=tree.hq_user, reason="缺货")
    assert volume(tree.low)[0] == 0 and volume(tree.top)[1] == 0
    refunds.cancel_paid(order, actor=tree.hq_user, reason="缺货")  # idempotent: taken back once
    assert AgentPurchase.objects.filter(amount__lt=0).count() == 1
    assert_counters_match()


def test_a_consumer_refund_leaves_the_shops_volume_alone(tree, factories, address):

    paid_restock(tree)
    give(tree.mid, tree.sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 2)],
                                         address=address)
    pay_offline(order, consumer, tree.mid.user)
    refunds.cancel_paid(order, actor=tree.hq_user, reason="x")
    assert volume(tree.low)[0] == D("900.00") and volume(tree.mid) == (D(0), D("900.00"))
    assert not AgentPurchase.objects.filter(amount__lt=0).exists()


def test_a_refund_does_not_take_back_a_level_already_reached(tree):
    assert tree.low.level == tree.levels[2]
    tree.levels[1].upgrade_single_purchase = D("800")
    tree.levels[1].save()
    order = paid_restock(tree)
    assert Agent.objects.get(pk=tree.low.pk).level == tree.levels[1]  # upgraded by the 900 restock
    refunds.cancel_paid(order, actor=tree.hq_user, reason="x")
    assert Agent.objects.get(pk=tree.low.pk).level == tree.levels[1]  # stays: HQ changes it by hand


def test_restock_items_in_another_currency_than_the_level_are_refused(tree, factories):
    from weishang.core.errors import DomainError

    twd = factories.sku(currency="TWD", retail_price=D("1280"), floor_price=D("500"), ceiling_price=D("1500"))
    factories.level_price(tree.levels[2], twd, "900")
    with pytest.raises(DomainError) as exc:
        orders.create_restock(user=tree.low.user, lines=[(twd.pk, 1)])
    assert exc.value.code == "currency_mismatch"


def test_paid_restock_passes_its_currency(tree, monkeypatch):
    from weishang.agents import services as agents

    seen = []
    real = agents.record_purchase_volume
    monkeypatch.setattr(agents, "record_purchase_volume",
                        lambda agent, amount, at, **kw: (seen.append((amount, kw)), real(agent, amount, at, **kw)))
    paid_restock(tree)
    assert seen == [(D("900.00"), {"currency": "CNY"})]
