"""Refunds and cancellation after payment: money back out of clearing to where it came
from, goods back where they were sold from, earnings reversed in proportion, to the cent."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.orders.helpers import give, paid_restock, pay_offline, qty
from weishang.core.errors import Conflict, DomainError, PermissionDenied
from weishang.earnings.models import Earning, EarningLine
from weishang.inventory.models import StockMovement
from weishang.inventory.selectors import drift as stock_drift
from weishang.ledger.models import Account
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import refunds
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderStatus, Refund, RefundKind, RefundRequestStatus

pytestmark = pytest.mark.django_db
D = Decimal


def bal(kind, agent=None, currency="CNY") -> Decimal:
    acc = Account.objects.filter(key=Account.make_key(kind, currency, agent.pk if agent else None)).first()
    return acc.balance if acc else D(0)


def ledger_clean() -> None:
    assert unbalanced_journals() == [] and drift() == []
    out = io.StringIO()
    call_command("ledger_check", stdout=out)
    assert bal("payment_clearing") == 0  # what came in went out: to earnings or back to the buyer


def paid_consumer(t, factories, address, lines=None, shop=None):
    shop = shop or t.mid
    give(shop, t.sku, 5)
    give(shop, t.sku2, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=shop.pk,
                                         lines=lines or [(t.sku.pk, 2), (t.sku2.pk, 3)], address=address)
    pay_offline(order, consumer, shop.user)
    return order, consumer


def test_restock_full_refund_returns_prepaid_and_units(tree):
    t = tree
    order = paid_restock(t)
    assert bal("agent_prepaid", t.low) == D("9100.00") and bal("agent_earnings_pending", t.mid) == D("900.00")
    req = refunds.request_refund(order, user=t.low.user, kind=RefundKind.FULL, reason="wrong item")
    assert Earning.objects.filter(order_ref=order.no, hold=True).count() == 1
    refunds.decide_refund(req.pk, actor=t.mid.user, approve=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refunded_total == D("900.00")
    assert bal("agent_prepaid", t.low) == D("10000.00")
    assert bal("agent_earnings_pending", t.mid) == 0
    assert qty(t.low, t.sku) == (0, 0) and qty(t.mid, t.sku) == (10, 0)
    kinds = set(StockMovement.objects.filter(ref_type="refund", ref_id=order.no).values_list("kind", flat=True))
    assert kinds == {"return_out", "return_in"}
    assert not Earning.objects.filter(order_ref=order.no, hold=True, state="pending").exists()
    assert sum("900.00" in e.text for e in order.events.all()) >= 2  # requested and refunded
    assert stock_drift() == []
    ledger_clean()


def test_consumer_partial_line_refund_returns_units_to_the_shop_and_cash_to_the_payee(tree, factories, address):
    t = tree
    order, consumer = paid_consumer(t, factories, address)
    line = order.lines.get(sku=t.sku)
    before_available = bal("agent_earnings_available", t.mid)
    req = refunds.request_refund(order, user=consumer, kind=RefundKind.LINES, quantities={line.pk: 1},
                                 reason="broken")
    assert req.amount == D("128.00")
    with pytest.raises(PermissionDenied):
        refunds.decide_refund(req.pk, actor=consumer, approve=True)
    refunds.decide_refund(req.pk, actor=t.mid.user, approve=True)
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.refunded_total == D("128.00")
    assert line.refunded_quantity == 1 and line.to_ship == 1
    assert qty(t.mid, t.sku) == (4, 0)  # 5 - 2 sold + 1 back
    # the shop agent held the transfer and pays it back: its cash IOU shrinks by the refund
    assert bal("agent_earnings_available", t.mid) == before_available + D("128.00")
    assert EarningLine.objects.get(ref=f"{order.no}:{line.pk}").refunded == D("128.00")
    ledger_clean()
    # the warehouse now ships only what is left
    wh = factories.staff("warehouse")
    orders.ship(order, actor=wh, carrier="SF", tracking_no="SF1")
    line.refresh_from_db()
    assert line.shipped_quantity == 1
    assert orders.fully_shipped(order)


def test_amount_refund_is_spread_by_largest_remainder_and_keeps_goods(tree, factories, address):
    t = tree
    order, consumer = paid_consumer(t, factories, address)
    req = refunds.request_refund(order, user=consumer, kind=RefundKind.AMOUNT, amount="100.01", reason="late")
    refunds.decide_refund(req.pk, actor=t.hq_user, approve=True)
    r = Refund.objects.get(request=req)
    parts = r.line_amounts()
    assert sum(parts.values()) == D("100.01")
    # 256 and 180 of 436 goods (no fee template): 58.72 / 41.29 or the like, never more than each holds
    assert all(v > 0 for v in parts.values())
    assert qty(t.mid, t.sku) == (3, 0)  # no goods back
    for line_id, amount in parts.items():
        assert EarningLine.objects.get(ref=f"{order.no}:{line_id}").refunded == amount
    ledger_clean()


def test_never_more_than_paid_and_not_twice(tree, factories, address):
    t = tree
    order, consumer = paid_consumer(t, factories, address)
    with pytest.raises(DomainError) as exc:
        refunds.request_refund(order, user=consumer, kind=RefundKind.AMOUNT, amount="437", reason="x")
    assert exc.value.code == "refund_too_much"
    line = order.lines.get(sku=t.sku)
    with pytest.raises(DomainError):
        refunds.request_refund(order, user=consumer, kind=RefundKind.LINES, quantities={line.pk: 3}, reason="x")
    with pytest.raises(DomainError):
        refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="  ")
    req = refunds.request_refund(order, user=consumer, kind=RefundKind.AMOUNT, amount="400", reason="x")
    with pytest.raises(Conflict):  # one open request at a time
        refunds.request_refund(order, user=consumer, kind=RefundKind.AMOUNT, amount="1", reason="y")
    refunds.decide_refund(req.pk, actor=t.mid.user, approve=True)
    with pytest.raises(Conflict):
        refunds.decide_refund(req.pk, actor=t.mid.user, approve=True)
    assert Refund.objects.filter(order=order).count() == 1
    # the same key twice refunds once
    r1 = refunds.refund(order, actor=t.hq_user, reason="goodwill", key="k1", kind=RefundKind.AMOUNT, amount="10")
    r2 = refunds.refund(order, actor=t.hq_user, reason="goodwill", key="k1", kind=RefundKind.AMOUNT, amount="10")
    assert r1.pk == r2.pk
    order.refresh_from_db()
    assert order.refunded_total == D("410.00")
    with pytest.raises(DomainError):
        refunds.refund(order, actor=t.hq_user, reason="too much", key="k2", kind=RefundKind.AMOUNT, amount="26.01")
    refunds.refund(order, actor=t.hq_user, reason="the rest", key="k3", kind=RefundKind.FULL)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refunded_total == order.total
    with pytest.raises(DomainError):
        refunds.refund(order, actor=t.hq_user, reason="again", key="k4", kind=RefundKind.FULL)
    ledger_clean()


def test_rejection_needs_a_reason_and_releases_the_hold(tree, factories, address):
    t = tree
    order, consumer = paid_consumer(t, factories, address)
    req = refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="changed my mind")
    with pytest.raises(DomainError):
        refunds.decide_refund(req.pk, actor=t.mid.user, approve=False, reason="")
    refunds.decide_refund(req.pk, actor=t.mid.user, approve=False, reason="already shipped")
    req.refresh_from_db()
    assert req.status == RefundRequestStatus.REJECTED and req.decision_reason == "already shipped"
    assert not Earning.objects.filter(order_ref=order.no, hold=True, state="pending").exists()
    assert not Refund.objects.filter(order=order).exists()


def test_return_window(tree, factories, address, settings):
    t = tree
    settings.ORDERS_RETURN_WINDOW_DAYS = 7
    order, consumer = paid_consumer(t, factories, address)
    wh = factories.staff("warehouse")
    orders.ship(order, actor=wh, carrier="SF", tracking_no="SF1")
    orders.confirm_received(order, actor=consumer)
    Order.objects.filter(pk=order.pk).update(received_at=timezone.now() - timedelta(days=8))
    order.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="late")
    assert exc.value.code == "return_window_closed"
    with pytest.raises(PermissionDenied):
        refunds.request_refund(order, user=t.mid.user, kind=RefundKind.FULL, reason="not mine")


def test_an_open_request_keeps_the_order_from_completing(tree, factories, address):
    t = tree
    order, consumer = paid_consumer(t, factories, address)
    wh = factories.staff("warehouse")
    orders.ship(order, actor=wh, carrier="SF", tracking_no="SF1")
    orders.confirm_received(order, actor=consumer)
    req = refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="broken")
    later = timezone.now() + timedelta(days=30)
    assert orders.complete_due(later) == 0
    refunds.decide_refund(req.pk, actor=t.mid.user, approve=False, reason="no damage on the photos")
    assert orders.complete_due(later) == 1


def test_hq_cancels_a_paid_consumer_order(tree, factories, address):
    t = tree
    order, consumer = paid_consumer(t, factories, address)
    with pytest.raises(PermissionDenied):
        refunds.cancel_paid(order, actor=t.mid.user, reason="x")
    refunds.request_refund(order, user=consumer, kind=RefundKind.AMOUNT, amount="5", reason="x")
    r = refunds.cancel_paid(order, actor=t.hq_user, reason="out of production")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and r.amount == order.total and r.is_cancellation
    assert qty(t.mid, t.sku) == (5, 0) and qty(t.mid, t.sku2) == (5, 0)
    assert not order.refund_requests.filter(status=RefundRequestStatus.REQUESTED).exists()
    assert all(e.reversed == e.amount for e in Earning.objects.filter(order_ref=order.no))
    assert refunds.cancel_paid(order, actor=t.hq_user, reason="again").pk == r.pk  # idempotent
    ledger_clean()


def test_hq_cancels_a_paid_restock_units_back_to_the_seller(tree):
    t = tree
    order = paid_restock(t, 4)
    refunds.cancel_paid(order, actor=t.hq_user, reason="price error")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert qty(t.low, t.sku) == (0, 0) and qty(t.mid, t.sku) == (4, 0)
    assert bal("agent_prepaid", t.low) == D("10000.00")
    ledger_clean()


def test_restock_units_already_sold_cannot_come_back(tree, factories, address):
    t = tree
    order = paid_restock(t, 2)
    consumer = factories.user()
    orders.create_consumer_order(user=consumer, shop_agent_id=t.low.pk, lines=[(t.sku.pk, 2)], address=address)
    req = refunds.request_refund(order, user=t.low.user, kind=RefundKind.FULL, reason="x")
    with pytest.raises(DomainError) as exc:
        refunds.decide_refund(req.pk, actor=t.mid.user, approve=True)
    assert exc.value.code == "units_not_in_stock"
    req.refresh_from_db()
    assert req.status == RefundRequestStatus.REQUESTED  # nothing changed
    # an amount refund (goods kept) is still possible
    r = refunds.refund(order, actor=t.hq_user, reason="discount", key="d", kind=RefundKind.AMOUNT, amount="20")
    assert r.amount == D("20.00")
    ledger_clean()


# --- pages and API ------------------------------------------------------------------------

def _client(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def test_refund_pages_request_approve_and_history(tree, factories, address):
    t = tree
    order, consumer = paid_consumer(t, factories, address)
    c = _client(consumer)
    page = c.get(f"/orders/{order.no}/").content.decode()
    assert f"/orders/{order.no}/refund/" in page
    line = order.lines.get(sku=t.sku2)
    r = c.post(f"/orders/{order.no}/refund/", {"idempotency_key": "rr1", "kind": "lines", "reason": "too many",
                                               f"ret_{line.pk}": "2"})
    assert r.status_code == 302
    r = c.post(f"/orders/{order.no}/refund/", {"idempotency_key": "rr1", "kind": "lines", "reason": "too many",
                                               f"ret_{line.pk}": "2"})  # double submit: one request
    assert order.refund_requests.count() == 1
    req = order.refund_requests.get()
    assert req.amount == D("120.00") and req.lines == {str(line.pk): 2}  # 2 x 60
    seller = _client(t.mid.user)
    lst = seller.get("/orders/refunds/").content.decode()
    assert order.no in lst
    assert _client(t.low.user).get("/orders/refunds/").content.decode().count(order.no) == 0  # not its sale
    assert c.post(f"/orders/refunds/{req.pk}/decide/", {"decision": "approve"}).status_code == 403
    r = seller.post(f"/orders/refunds/{req.pk}/decide/", {"decision": "approve", "next": "list"})
    assert r.status_code == 302 and r["Location"].endswith("/orders/refunds/")
    order.refresh_from_db()
    assert order.refunded_total == D("120.00")
    assert qty(t.mid, t.sku2) == (4, 0)  # 5 - 3 sold + 2 back
    detail = c.get(f"/orders/{order.no}/").content.decode()
    assert detail.count("too many") >= 2  # the refund and the request in the history
    assert any("120.00" in e.text for e in order.events.all())
    ledger_clean()


def test_refund_api_with_idempotency_key(tree, factories, address):
    t = tree
    order, consumer = paid_consumer(t, factories, address)
    c = _client(consumer)
    body = {"kind": "amount", "amount": "12.34", "reason": "scratch"}
    r = c.post(f"/api/v1/orders/{order.no}/refund-requests", body, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_required"
    r = c.post(f"/api/v1/orders/{order.no}/refund-requests", body, content_type="application/json",
               HTTP_IDEMPOTENCY_KEY="a1")
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    again = c.post(f"/api/v1/orders/{order.no}/refund-requests", body, content_type="application/json",
                   HTTP_IDEMPOTENCY_KEY="a1")
    assert again.status_code == 201 and again.json()["id"] == rid
    s = _client(t.mid.user)
    assert [x["id"] for x in s.get("/api/v1/orders/refund-requests/open").json()] == [rid]
    r = s.post(f"/api/v1/orders/refund-requests/{rid}/approve", {"reason": ""}, content_type="application/json",
               HTTP_IDEMPOTENCY_KEY="ap1")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved"
    r2 = s.post(f"/api/v1/orders/refund-requests/{rid}/approve", {"reason": ""}, content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="ap1")
    assert r2.status_code == 200 and r2.json() == r.json()
    r3 = s.post(f"/api/v1/orders/refund-requests/{rid}/approve", {"reason": ""}, content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="ap2")
    assert r3.status_code == 409
    o = c.get(f"/api/v1/orders/{order.no}").json()
    assert o["refunded_total"] == "12.34" and len(o["refunds"]) == 1
    ledger_clean()


def test_back_office_lists_refund_requests(tree, factories, address):
    t = tree
    order, consumer = paid_consumer(t, factories, address)
    refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="broken")
    c = _client(factories.staff("operator"))
    page = c.get("/admin/orders/refundrequest/?status__exact=requested")
    assert page.status_code == 200 and order.no in page.content.decode()
    assert c.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    assert refunds.is_hq_refunder(factories.staff("operator"))
    assert not refunds.is_hq_refunder(factories.staff("warehouse"))
