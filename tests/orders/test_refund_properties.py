"""Property test over the database: random restocks and consumer orders (some through a
share link), paid, then random partial / item / full refunds and HQ cancellations in
random order. After every run: the ledger balances (every journal, every cached balance,
pending earnings), payment clearing is back to zero, every earning is reversed in
proportion to what its line refunded (within a cent per refund, exactly on a full
refund), refunds never exceed what was paid, and stock never goes negative and equals
its movements."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as F
from tests.orders.helpers import build_tree, give, pay_offline
from weishang.core.errors import DomainError
from weishang.earnings import services as earnings
from weishang.earnings.models import Earning, EarningLine
from weishang.earnings.selectors import pending_mismatches
from weishang.inventory.models import Stock
from weishang.inventory.selectors import drift as stock_drift
from weishang.ledger.models import Account
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import refunds
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderStatus, Refund, RefundKind, RefundLine
from weishang.payments import services as pay

pytestmark = pytest.mark.django_db
ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
           "district_code": "110101", "detail": "东华门街道 1 号"}
CENT = Decimal("0.01")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_random_orders_and_refunds_keep_money_and_stock_exact(db, data):
    with transaction.atomic():
        _scenario(data)
        transaction.set_rollback(True)


def _scenario(data):
    t = build_tree(F)
    sharer = F.agent(t.levels[2], upline=t.top, recruiter=t.mid, name="S")
    if data.draw(st.booleans()):
        earnings.save_rule(kind="share_commission", rates=data.draw(st.sampled_from(["3", "5", "7.5,2.5"])))
    if data.draw(st.booleans()):
        earnings.save_rule(kind="referral", rates="5")
    for agent in (t.top, t.mid, t.low):
        give(agent, t.sku, 40)
        give(agent, t.sku2, 40)
    give(None, t.sku, 100)
    give(None, t.sku2, 100)
    pay.hq_topup(agent=t.low, amount="100000", currency="CNY", reason="test", user=t.hq_user)
    pay.hq_topup(agent=t.mid, amount="100000", currency="CNY", reason="test", user=t.hq_user)
    paid: list[Order] = []
    for _i in range(data.draw(st.integers(1, 4))):
        lines = [(s.pk, data.draw(st.integers(1, 4))) for s in (t.sku, t.sku2) if data.draw(st.booleans())] \
            or [(t.sku.pk, 1)]
        if data.draw(st.booleans()):
            buyer = data.draw(st.sampled_from([t.low, t.mid]))
            order = orders.create_restock(user=buyer.user, lines=lines)
            pay.pay(order_no=order.no, user=buyer.user, method="prepaid")
        else:
            shop = data.draw(st.sampled_from([t.mid, t.low]))
            consumer = F.user()
            order = orders.create_consumer_order(user=consumer, shop_agent_id=shop.pk, lines=lines, address=ADDRESS,
                                                 shared_by_id=sharer.pk if data.draw(st.booleans()) else None)
            pay_offline(order, consumer, shop.user)
        paid.append(Order.objects.get(pk=order.pk))

    for step in range(data.draw(st.integers(1, 6))):
        order = Order.objects.get(pk=data.draw(st.sampled_from([o.pk for o in paid])))
        what = data.draw(st.sampled_from(["amount", "lines", "full", "cancel"]))
        try:
            if what == "amount":
                left = order.total - order.refunded_total
                cents = data.draw(st.integers(1, max(1, int(left * 100))))
                refunds.refund(order, actor=t.hq_user, reason="p", key=f"s{step}", kind=RefundKind.AMOUNT,
                               amount=str(Decimal(cents) / 100))
            elif what == "lines":
                line = data.draw(st.sampled_from(list(order.lines.all())))
                n = data.draw(st.integers(1, line.quantity))
                req = refunds.request_refund(order, user=order.buyer, kind=RefundKind.LINES,
                                             quantities={line.pk: n}, reason="p")
                refunds.decide_refund(req.pk, actor=t.hq_user, approve=data.draw(st.booleans()), reason="r")
            elif what == "full":
                refunds.refund(order, actor=t.hq_user, reason="p", key=f"s{step}", kind=RefundKind.FULL)
            else:
                refunds.cancel_paid(order, actor=t.hq_user, reason="p")
        except DomainError:
            pass  # refused (window, nothing left, units gone, too much): nothing changed, checked below

    # The ledger balances and clearing holds nothing.
    assert unbalanced_journals() == [] and drift() == [] and pending_mismatches() == []
    assert Account.objects.get(key=Account.make_key("payment_clearing", "CNY")).balance == 0
    # Stock: never negative, equal to its movements.
    assert not Stock.objects.filter(quantity__lt=0).exists() and not Stock.objects.filter(reserved__lt=0).exists()
    assert stock_drift() == []
    # Refunds: never beyond what was paid; orders, refund lines and earnings agree.
    refund_count: Counter[str] = Counter()
    for rl in RefundLine.objects.select_related("refund__order"):
        refund_count[f"{rl.refund.order.no}:{rl.line_id or 'order'}"] += 1
    for order in Order.objects.filter(pk__in=[o.pk for o in paid]):
        total = Refund.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert order.refunded_total == total <= order.total
        if order.refunded_total == order.total:
            assert order.status in (OrderStatus.REFUNDED, OrderStatus.CANCELLED)
        for el in EarningLine.objects.filter(order_ref=order.no):
            line_part = el.ref.rsplit(":", 1)[1]
            recorded = RefundLine.objects.filter(refund__order=order, line_id=None if line_part == "order"
                                                 else int(line_part)).aggregate(s=Sum("amount"))["s"] or Decimal(0)
            if order.status == OrderStatus.CANCELLED:
                assert el.refunded == el.paid
            else:
                assert el.refunded == recorded
            k = max(1, refund_count[el.ref] + (order.status == OrderStatus.CANCELLED))
            for e in Earning.objects.filter(line=el):
                if el.refunded == el.paid:
                    assert e.reversed == e.amount  # a full refund reverses every entry exactly
                else:
                    expected = e.amount * el.refunded / el.paid
                    assert abs(e.reversed - expected) <= CENT * k, (e.kind, e.amount, e.reversed, expected)
