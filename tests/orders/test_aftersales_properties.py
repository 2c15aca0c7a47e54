"""Property test (hypothesis) of after-sales returns: random delivered consumer orders,
random partial returns (per line, per quantity) whose steps — request, decision, parcel
back, inspection with random damage — arrive interleaved across orders in random order.
After every run: refunded ≤ paid per line, every unit is exactly where it should be
(shop stock + HQ damaged stock = what was given − what stays with consumers), earnings
reversed exactly as the refund lines say, and the ledger balances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as F
from tests.orders.helpers import build_tree, give, pay_offline
from weishang.core.errors import DomainError
from weishang.earnings.models import EarningLine
from weishang.earnings.selectors import pending_mismatches
from weishang.inventory.models import HQ_DAMAGED, Stock, owner_key
from weishang.inventory.selectors import drift as stock_drift
from weishang.ledger.models import Account
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import refunds
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderLine, RefundKind, RefundLine, RefundRequest, RefundRequestStatus

pytestmark = pytest.mark.django_db
ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
           "district_code": "110101", "detail": "东华门街道 1 号"}
GIVEN = 30


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_random_returns_keep_money_stock_and_earnings_exact(db, data):
    with transaction.atomic():
        _scenario(data)
        transaction.set_rollback(True)


def _scenario(data):
    t = build_tree(F)
    warehouse = F.staff("warehouse")
    for sku in (t.sku, t.sku2):
        give(t.mid, sku, GIVEN)
    placed: list[Order] = []
    for i in range(data.draw(st.integers(1, 3))):
        lines = [(s.pk, data.draw(st.integers(1, 3))) for s in (t.sku, t.sku2) if data.draw(st.booleans())] \
            or [(t.sku.pk, 2)]
        consumer = F.user()
        order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=lines, address=ADDRESS)
        pay_offline(order, consumer, t.mid.user)
        orders.ship(order, actor=t.hq_user, carrier="SF", tracking_no=f"OUT-{i}")
        if data.draw(st.booleans()):
            orders.confirm_received(order, actor=consumer)
        placed.append(Order.objects.get(pk=order.pk))

    for step in range(data.draw(st.integers(2, 14))):
        order = Order.objects.get(pk=data.draw(st.sampled_from([o.pk for o in placed])))
        req = RefundRequest.objects.filter(order=order, status__in=[
            RefundRequestStatus.REQUESTED, RefundRequestStatus.AWAITING_RETURN,
            RefundRequestStatus.RETURN_SHIPPED]).first()
        try:
            if req is None:
                line = data.draw(st.sampled_from(list(order.lines.all())))
                refunds.request_refund(order, user=order.buyer, kind=RefundKind.LINES, reason="p",
                                       quantities={line.pk: data.draw(st.integers(1, line.quantity))})
            elif req.status == RefundRequestStatus.REQUESTED:
                refunds.decide_refund(req.pk, actor=t.mid.user, approve=data.draw(st.booleans()), reason="r")
            elif req.status == RefundRequestStatus.AWAITING_RETURN:
                refunds.ship_return(req.pk, user=order.buyer, carrier="SF", tracking_no=f"BACK-{step}")
            else:
                damaged = {k: data.draw(st.integers(0, int(v))) for k, v in req.lines.items()}
                refunds.receive_return(req.pk, actor=warehouse, damaged=damaged)
        except DomainError:
            pass  # refused (more than is left): nothing changed, checked below

    assert unbalanced_journals() == [] and drift() == [] and pending_mismatches() == []
    assert stock_drift() == []
    clearing = Account.objects.filter(key=Account.make_key("payment_clearing", "CNY")).first()
    assert clearing is None or clearing.balance == 0
    for sku in (t.sku, t.sku2):
        lines = OrderLine.objects.filter(order__in=placed, sku=sku)
        sold = lines.aggregate(s=Sum("quantity"))["s"] or 0
        back = lines.aggregate(s=Sum("refunded_quantity"))["s"] or 0
        shop = Stock.objects.get(owner=owner_key(t.mid.pk), sku=sku).quantity
        bad = Stock.objects.filter(owner=HQ_DAMAGED, sku=sku).values_list("quantity", flat=True).first() or 0
        assert shop + bad == GIVEN - sold + back
    for line in OrderLine.objects.filter(order__in=placed):
        assert line.refunded_amount <= line.amount and line.refunded_quantity <= line.quantity
        recorded = RefundLine.objects.filter(line=line).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert recorded == line.refunded_amount == line.unit_price * line.refunded_quantity
        for el in EarningLine.objects.filter(ref__endswith=f":{line.pk}", order_ref=line.order.no):
            assert el.refunded == recorded
