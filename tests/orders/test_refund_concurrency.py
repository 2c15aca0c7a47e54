"""Concurrent refund decisions: a request approved from many threads refunds once; many
partial refunds at once never return more than was paid (PostgreSQL, or a SQLite file)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.orders.helpers import build_tree, give, pay_offline
from tests.threads import needs_shared_database, run_together
from weishang.core.errors import DomainError
from weishang.ledger.models import Account, Journal
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import refunds
from weishang.orders import services as orders
from weishang.orders.models import Order, Refund, RefundKind

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_shared_database,
]
ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
           "district_code": "110101", "detail": "东华门街道 1 号"}




@pytest.fixture
def paid(factories):
    from weishang.accounts.roles import sync_hq_roles

    sync_hq_roles()  # a transactional test starts from a flushed database
    t = build_tree(factories)
    give(t.mid, t.sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(t.sku.pk, 3)],
                                         address=ADDRESS)
    pay_offline(order, consumer, t.mid.user)
    return t, order, consumer


def test_one_request_approved_from_many_threads_refunds_once(paid):
    t, order, consumer = paid
    req = refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="broken")
    deciders = [t.mid.user, t.hq_user]
    results = run_together(8, lambda i: refunds.decide_refund(req.pk, actor=deciders[i % 2], approve=True),
                           expected=(DomainError,))
    assert sum(not isinstance(r, DomainError) for r in results) == 1
    assert all(r.code == "already_decided" for r in results if isinstance(r, DomainError))
    assert Refund.objects.filter(order=order).count() == 1
    assert Journal.objects.filter(kind="order_refund", ref_id=order.no).count() == 1
    order.refresh_from_db()
    assert order.refunded_total == order.total == Decimal("384.00")
    assert Account.objects.get(key=Account.make_key("payment_clearing", "CNY")).balance == 0
    assert unbalanced_journals() == [] and drift() == []


def test_concurrent_partial_refunds_never_exceed_what_was_paid(paid):
    t, order, _consumer = paid
    # 384 paid; 8 refunds of 100 at once with different keys: only 3 fit.
    results = run_together(8, lambda i: refunds.refund(order, actor=t.hq_user, reason="goodwill", key=f"g{i}",
                                                      kind=RefundKind.AMOUNT, amount="100"), expected=(DomainError,))
    ok = [r for r in results if isinstance(r, Refund)]
    assert len(ok) == 3
    order = Order.objects.get(pk=order.pk)
    assert order.refunded_total == Decimal("300.00")
    assert Account.objects.get(key=Account.make_key("payment_clearing", "CNY")).balance == 0
    assert unbalanced_journals() == [] and drift() == []
