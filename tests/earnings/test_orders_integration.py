"""Orders → earnings through the order signals, with the real order and payment services."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests.orders.helpers import build_tree, give
from weishang.core.errors import DomainError
from weishang.earnings import services as S
from weishang.earnings.models import Earning, EarningState
from weishang.ledger.models import Account
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import services as orders
from weishang.orders import signals
from weishang.orders.models import Order
from weishang.payments import services as pay

pytestmark = pytest.mark.django_db


def bal(kind, agent=None):
    acc = Account.objects.filter(key=Account.make_key(kind, "CNY", agent.pk if agent else None)).first()
    return acc.balance if acc else Decimal(0)


@pytest.fixture
def t(factories):
    return build_tree(factories)


def test_paid_restock_moves_clearing_to_the_seller_pending_then_available(t):
    S.save_rule(kind="referral", rates="5")
    give(t.mid, t.sku, 10)
    order = orders.create_restock(user=t.low.user, lines=[(t.sku.pk, 10)])
    pay.hq_topup(agent=t.low, amount="10000", currency="CNY", reason="test", user=t.hq_user)
    pay.pay(order_no=order.no, user=t.low.user, method="prepaid")
    assert bal("agent_earnings_pending", t.mid) == Decimal("945.00")  # 900 proceeds + 5% referral (first restock)
    assert bal("payment_clearing") == 0
    assert bal("hq_reward_expense") == Decimal("-45.00")
    order.refresh_from_db()
    signals.order_paid.send(sender=Order, order=order, payment=None)  # a repeated confirmation
    assert Earning.objects.filter(order_ref=order.no).count() == 2
    e = Earning.objects.get(order_ref=order.no, kind="sale_proceeds")
    assert e.available_at is not None  # a restock is received at once: the window runs
    assert S.release_due(timezone.now() + timedelta(days=8)) == 2
    assert bal("agent_earnings_available", t.mid) == Decimal("945.00")
    # a second restock is not a first restock: no referral
    give(t.mid, t.sku, 1)
    o2 = orders.create_restock(user=t.low.user, lines=[(t.sku.pk, 1)])
    pay.pay(order_no=o2.no, user=t.low.user, method="prepaid")
    assert not Earning.objects.filter(order_ref=o2.no, kind="referral").exists()
    assert unbalanced_journals() == [] and drift() == []


def test_consumer_order_completed_releases_and_refund_reverses(t, factories):
    give(t.mid, t.sku, 5)
    consumer = factories.user()
    address = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
               "district_code": "110101", "detail": "东华门街道 1 号"}
    order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(t.sku.pk, 2)],
                                         address=address)
    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "PNG")
    payment = pay.pay(order_no=order.no, user=consumer, method="offline",
                      proof=SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png"))
    pay.confirm(payment_id=payment.pk, user=t.mid.user)
    order.refresh_from_db()
    assert bal("agent_earnings_pending", t.mid) == order.total
    wh = factories.staff("warehouse")
    orders.pack(order, actor=wh)
    orders.ship(order, actor=wh, carrier="SF", tracking_no="SF1")
    orders.confirm_received(order, actor=consumer)
    e = Earning.objects.get(order_ref=order.no)
    assert e.state == EarningState.PENDING and e.available_at > timezone.now() + timedelta(days=6)
    S.refund_order(order.no, key="r1", amount="28.00")
    assert orders.complete_due(timezone.now() + timedelta(days=30)) == 1
    # The consumer paid the shop agent offline, so payments charged the 256 it holds in cash
    # against its available earnings; the released proceeds (256 - 28 refunded) offset it.
    assert bal("agent_earnings_available", t.mid) == -order.total + order.total - Decimal("28.00")
    assert bal("agent_earnings_pending", t.mid) == 0
    assert unbalanced_journals() == [] and drift() == []


def test_tw_buyback_quote_uses_what_the_agent_paid(t, settings):
    give(t.mid, t.sku, 10)
    order = orders.create_restock(user=t.low.user, lines=[(t.sku.pk, 10)])
    pay.hq_topup(agent=t.low, amount="10000", currency="CNY", reason="test", user=t.hq_user)
    pay.pay(order_no=order.no, user=t.low.user, method="prepaid")
    settings.EARNINGS_COMPLIANCE_PROFILE = "cn"
    with pytest.raises(DomainError):
        S.buyback_quote(t.low, t.sku.pk, 1)
    settings.EARNINGS_COMPLIANCE_PROFILE = "tw"
    assert S.buyback_quote(t.low, t.sku.pk, 4) == Decimal("324.00")  # 4 x 90 x 90%
    with pytest.raises(DomainError):
        S.buyback_quote(t.low, t.sku.pk, 11)
