"""After-sales (售后) of delivered consumer goods: approve → the buyer sends the goods
back with a tracking number → the HQ warehouse receives and inspects → the refund (or a
replacement) in one transaction; photos, non-returnable SKUs, the refund deadline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.orders.helpers import give, pay_offline, png, qty
from weishang.core.errors import Conflict, DomainError, PermissionDenied
from weishang.earnings.models import Earning
from weishang.inventory.models import HQ_DAMAGED, Stock, StockMovement
from weishang.inventory.selectors import drift as stock_drift
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import refunds, signals
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderStatus, Refund, RefundKind, RefundPhoto, RefundRequestStatus

pytestmark = pytest.mark.django_db
D = Decimal


def delivered(t, factories, address, n=3, sku=None):
    """A consumer order of n units from the mid agent's shop, paid, shipped and received."""
    sku = sku or t.sku
    give(t.mid, sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(sku.pk, n)],
                                         address=address, non_returnable_confirmed=True)
    pay_offline(order, consumer, t.mid.user)
    orders.ship(order, actor=t.hq_user, carrier="SF", tracking_no=f"SF{order.pk:06d}")
    orders.confirm_received(order, actor=consumer)
    order.refresh_from_db()
    return order, consumer


def ask_one(order, consumer, **kw):
    line = order.lines.get()
    return refunds.request_refund(order, user=consumer, kind=kw.pop("kind", RefundKind.LINES),
                                  quantities={line.pk: kw.pop("n", 1)}, reason="瓶子破了", **kw), line


def earning_reversed(order) -> Decimal:
    return sum((e.reversed for e in Earning.objects.filter(order_ref=order.no)), D(0))


def test_return_lifecycle_refunds_only_when_the_warehouse_receives_the_goods(tree, factories, address):
    t = tree
    order, consumer = delivered(t, factories, address)
    seen = []
    signals.refund_completed.connect(lambda **kw: seen.append(kw), weak=False, dispatch_uid="t-aftersales")
    try:
        req, line = ask_one(order, consumer, photos_in=[png("crack.png")])
        assert RefundPhoto.objects.filter(request=req).count() == 1
        assert not RefundPhoto.objects.get(request=req).image.name.startswith("payments/")
        refunds.decide_refund(req.pk, actor=t.mid.user, approve=True)
        req.refresh_from_db()
        assert req.status == RefundRequestStatus.AWAITING_RETURN and not Refund.objects.filter(order=order).exists()
        assert qty(t.mid, t.sku) == (2, 0)  # nothing back yet
        with pytest.raises(PermissionDenied):
            refunds.ship_return(req.pk, user=t.mid.user, carrier="SF", tracking_no="R1")
        refunds.ship_return(req.pk, user=consumer, carrier="顺丰", tracking_no="SF-BACK-1")
        with pytest.raises(PermissionDenied):  # an agent is no warehouse
            refunds.receive_return(req.pk, actor=t.mid.user)
        refunds.receive_return(req.pk, actor=factories.staff("warehouse"), damaged={})
        req.refresh_from_db()
        order.refresh_from_db()
        assert req.status == RefundRequestStatus.APPROVED and req.goods_received_at is not None
        assert order.refunded_total == D("128.00") and order.status == OrderStatus.RECEIVED
        assert qty(t.mid, t.sku) == (3, 0)  # the good unit is back in the shop agent's cloud stock
        assert earning_reversed(order) > 0
        assert len(seen) == 1 and seen[0]["refund"].amount == D("128.00")
        assert [(p.line.pk, p.quantity, p.amount) for p in seen[0]["parts"]] == [(line.pk, 1, D("128.00"))]
        assert unbalanced_journals() == [] and drift() == [] and stock_drift() == []
    finally:
        signals.refund_completed.disconnect(dispatch_uid="t-aftersales")


def test_damaged_units_go_to_hq_damaged_stock(tree, factories, address):
    t = tree
    order, consumer = delivered(t, factories, address)
    req, line = ask_one(order, consumer, n=2)
    refunds.decide_refund(req.pk, actor=t.hq_user, approve=True)
    refunds.ship_return(req.pk, user=consumer, carrier="SF", tracking_no="BACK-2")
    with pytest.raises(DomainError) as too_many:
        refunds.receive_return(req.pk, actor=t.hq_user, damaged={line.pk: 3})
    assert "damaged_" in next(iter(too_many.value.fields))
    refunds.receive_return(req.pk, actor=t.hq_user, damaged={line.pk: 1}, note="瓶盖裂")
    assert qty(t.mid, t.sku) == (3, 0)  # one good unit back to the shop
    damaged = Stock.objects.get(owner=HQ_DAMAGED, sku=t.sku)
    assert damaged.quantity == 1 and StockMovement.objects.filter(stock=damaged, kind="damaged_in").count() == 1
    assert Order.objects.get(pk=order.pk).refunded_total == D("256.00")
    assert stock_drift() == []


def test_refund_only_before_shipment_is_immediate(tree, factories, address):
    t = tree
    give(t.mid, t.sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(t.sku.pk, 2)],
                                         address=address)
    pay_offline(order, consumer, t.mid.user)
    req = refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="不想要了")
    refunds.decide_refund(req.pk, actor=t.mid.user, approve=True)
    assert RefundRequestStatus.APPROVED == refunds.RefundRequest.objects.get(pk=req.pk).status
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED


def test_exchange_sends_the_same_sku_again_and_moves_no_money(tree, factories, address):
    t = tree
    order, consumer = delivered(t, factories, address)
    req, line = ask_one(order, consumer, kind=RefundKind.EXCHANGE)
    refunds.decide_refund(req.pk, actor=t.mid.user, approve=True)
    refunds.ship_return(req.pk, user=consumer, carrier="SF", tracking_no="X-BACK")
    refunds.receive_return(req.pk, actor=t.hq_user)
    assert refunds.RefundRequest.objects.get(pk=req.pk).status == RefundRequestStatus.AWAITING_EXCHANGE
    assert qty(t.mid, t.sku) == (3, 0)
    refunds.ship_exchange(req.pk, actor=t.hq_user, carrier="SF", tracking_no="X-NEW")
    assert qty(t.mid, t.sku) == (2, 0)
    order.refresh_from_db()
    assert order.refunded_total == 0 and not Refund.objects.filter(order=order).exists()
    assert refunds.RefundRequest.objects.get(pk=req.pk).status == RefundRequestStatus.APPROVED
    assert not Earning.objects.filter(order_ref=order.no, hold=True).exists()
    with pytest.raises(Conflict):
        refunds.ship_exchange(req.pk, actor=t.hq_user, carrier="SF", tracking_no="X-NEW2")


def test_bad_input_is_refused_and_changes_nothing(tree, factories, address, settings):
    t = tree
    order, consumer = delivered(t, factories, address)
    line = order.lines.get()
    before = (Order.objects.get(pk=order.pk).refunded_total, qty(t.mid, t.sku))
    # More than was paid.
    with pytest.raises(DomainError) as exc:
        refunds.request_refund(order, user=consumer, kind=RefundKind.AMOUNT, amount="500", reason="x")
    assert exc.value.code == "refund_too_much"
    with pytest.raises(DomainError):
        refunds.request_refund(order, user=consumer, kind=RefundKind.LINES, quantities={line.pk: 4}, reason="x")
    # A photo that is not an image.
    with pytest.raises(DomainError) as exc:
        ask_one(order, consumer, photos_in=[SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image")])
    assert exc.value.code == "invalid_photo" and "photos" in exc.value.fields
    assert not refunds.RefundRequest.objects.filter(order=order).exists() and not RefundPhoto.objects.exists()
    # Twice: one open request at a time, and the same units cannot be refunded twice.
    req, _l = ask_one(order, consumer, n=3)
    with pytest.raises(Conflict):
        ask_one(order, consumer)
    refunds.decide_refund(req.pk, actor=t.hq_user, approve=True)
    with pytest.raises(Conflict):
        refunds.decide_refund(req.pk, actor=t.hq_user, approve=True)
    # A tracking number of another order (its delivery parcel), or of this order's delivery.
    other, _c = delivered(t, factories, address, n=1, sku=t.sku2)
    with pytest.raises(DomainError) as exc:
        refunds.ship_return(req.pk, user=consumer, carrier="SF", tracking_no=other.shipments.get().tracking_no)
    assert exc.value.code == "tracking_of_another_order"
    with pytest.raises(DomainError) as exc:
        refunds.ship_return(req.pk, user=consumer, carrier="SF", tracking_no=order.shipments.get().tracking_no)
    assert exc.value.code == "tracking_of_delivery"
    with pytest.raises(DomainError):
        refunds.ship_return(req.pk, user=consumer, carrier="", tracking_no="")
    assert refunds.RefundRequest.objects.get(pk=req.pk).status == RefundRequestStatus.AWAITING_RETURN
    # Receiving before the buyer sent anything: refused.
    with pytest.raises(Conflict):
        refunds.receive_return(req.pk, actor=t.hq_user)
    assert (Order.objects.get(pk=order.pk).refunded_total, qty(t.mid, t.sku)) == before
    # After the window.
    late, late_buyer = delivered(t, factories, address, n=1, sku=t.sku2)
    Order.objects.filter(pk=late.pk).update(received_at=timezone.now() - timedelta(days=8))
    with pytest.raises(DomainError) as exc:
        ask_one(Order.objects.get(pk=late.pk), late_buyer)
    assert exc.value.code == "return_window_closed"
    settings.ORDERS_RETURN_WINDOW_DAYS = 10  # a deployment with a longer window
    ask_one(Order.objects.get(pk=late.pk), late_buyer)


def test_unpaid_order_cannot_be_refunded(tree, factories, address):
    t = tree
    give(t.mid, t.sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(t.sku.pk, 1)],
                                         address=address)
    with pytest.raises(DomainError) as exc:
        refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="x")
    from django.utils import translation

    with translation.override("zh-hans"):
        assert exc.value.code == "not_paid" and "尚未付款" in str(exc.value.message)


def test_non_returnable_sku_needs_confirmation_and_a_defect_decided_by_hq(tree, factories, address):
    t = tree
    t.sku.non_returnable = True
    t.sku.save()
    give(t.mid, t.sku, 5)
    with pytest.raises(DomainError) as exc:
        orders.create_consumer_order(user=factories.user(), shop_agent_id=t.mid.pk, lines=[(t.sku.pk, 1)],
                                     address=address)
    assert exc.value.code == "non_returnable_not_confirmed"
    order, consumer = delivered(t, factories, address, n=1)
    with pytest.raises(DomainError) as exc:
        ask_one(order, consumer)
    assert exc.value.code == "not_returnable"
    with pytest.raises(DomainError) as exc:
        ask_one(order, consumer, defective=True)
    assert exc.value.code == "photos_required"
    req, _l = ask_one(order, consumer, defective=True, photos_in=[png()])
    assert not refunds.can_decide(t.mid.user, order, req)
    with pytest.raises(PermissionDenied):
        refunds.decide_refund(req.pk, actor=t.mid.user, approve=True)
    refunds.decide_refund(req.pk, actor=t.hq_user, approve=True)
    assert refunds.RefundRequest.objects.get(pk=req.pk).status == RefundRequestStatus.AWAITING_RETURN


def test_taiwan_refund_deadline_lists_overdue_requests(tree, factories, address, settings):
    t = tree
    order, consumer = delivered(t, factories, address)
    req, _l = ask_one(order, consumer)
    refunds.decide_refund(req.pk, actor=t.hq_user, approve=True)
    refunds.ship_return(req.pk, user=consumer, carrier="SF", tracking_no="TW-1")
    later = timezone.now() + timedelta(days=16)
    assert refunds.overdue_refunds(later) == []  # CNY: no deadline rule
    settings.ORDERS_REFUND_DUE_DAYS = "TWD:15,CNY:15"
    assert refunds.overdue_refunds(timezone.now() + timedelta(days=14)) == []
    assert [r.pk for r in refunds.overdue_refunds(later)] == [req.pk]
    refunds.receive_return(req.pk, actor=t.hq_user)
    assert refunds.overdue_refunds(later) == []


def test_an_open_return_keeps_the_order_from_completing(tree, factories, address):
    t = tree
    order, consumer = delivered(t, factories, address)
    req, _l = ask_one(order, consumer)
    refunds.decide_refund(req.pk, actor=t.hq_user, approve=True)
    assert orders.complete_due(timezone.now() + timedelta(days=30)) == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RECEIVED


def test_a_refund_photo_is_served_privately_to_the_buyer_only(tree, factories, address, client):
    order, consumer = delivered(tree, factories, address)
    req, _line = ask_one(order, consumer, photos_in=[png("crack.png")])
    photo = RefundPhoto.objects.get(request=req)
    url = f"/orders/refunds/photo/{photo.pk}/"
    client.force_login(factories.user(phone="+8613912349876"))  # a stranger
    assert client.get(url).status_code == 404
    client.force_login(consumer)
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert r["X-Content-Type-Options"] == "nosniff" and "sandbox" in r["Content-Security-Policy"]
    assert r["Cache-Control"] == "private, max-age=3600"


def test_return_steps_say_what_happened(tree, factories, address, client):
    order, consumer = delivered(tree, factories, address)
    req, _line = ask_one(order, consumer, photos_in=[png()])
    refunds.decide_refund(req.pk, actor=tree.mid.user, approve=True)
    client.force_login(consumer)
    r = client.post(reverse("orders:return_ship", args=[req.pk]),
                    {"carrier": "顺丰", "tracking_no": "SF-BACK-9"}, follow=True)
    said = [str(m) for m in r.context["messages"]]
    assert said == ["已保存退货物流单号。"]
