"""tw buy-back: units leave the agent's cloud stock back to HQ and HQ pays 90% of what the
agent paid, in one transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.orders.helpers import build_tree, give, qty
from weishang.core.errors import DomainError, PermissionDenied
from weishang.earnings import services as S
from weishang.earnings.models import BuyBack
from weishang.inventory.models import StockMovement
from weishang.inventory.selectors import drift as stock_drift
from weishang.ledger.models import Account
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import services as orders
from weishang.payments import services as pay

pytestmark = pytest.mark.django_db
D = Decimal


def bal(kind, agent=None):
    acc = Account.objects.filter(key=Account.make_key(kind, "CNY", agent.pk if agent else None)).first()
    return acc.balance if acc else D(0)


@pytest.fixture
def t(factories, settings):
    settings.EARNINGS_COMPLIANCE_PROFILE = "tw"
    t = build_tree(factories)
    give(t.mid, t.sku, 10)
    order = orders.create_restock(user=t.low.user, lines=[(t.sku.pk, 10)])
    pay.hq_topup(agent=t.low, amount="10000", currency="CNY", reason="test", user=t.hq_user)
    pay.pay(order_no=order.no, user=t.low.user, method="prepaid")
    return t


def test_buy_back_moves_units_to_hq_and_pays_90_percent(t, factories):
    finance = factories.staff("finance")
    bb = S.buy_back(agent=t.low, sku_id=t.sku.pk, quantity=4, by=finance, reason="termination", key="bb1")
    assert bb.amount == D("324.00")  # 4 x 90 x 90%
    assert qty(t.low, t.sku) == (6, 0) and qty(None, t.sku) == (4, 0)
    kinds = sorted(StockMovement.objects.filter(ref_type="buyback", ref_id=str(bb.pk)).values_list("kind", "quantity"))
    assert kinds == [("return_in", 4), ("return_out", -4)]
    assert bal("agent_earnings_available", t.low) == D("324.00") and bal("hq_buyback") == D("-324.00")
    assert S.buy_back(agent=t.low, sku_id=t.sku.pk, quantity=4, by=finance, reason="again", key="bb1").pk == bb.pk
    assert BuyBack.objects.count() == 1
    # the next units bought back are the rest of the purchase, not the same units again
    S.buy_back(agent=t.low, sku_id=t.sku.pk, quantity=6, by=finance, reason="termination", key="bb2")
    with pytest.raises(DomainError):
        S.buyback_quote(t.low, t.sku.pk, 1)
    assert unbalanced_journals() == [] and drift() == [] and stock_drift() == []


ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
           "district_code": "110101", "detail": "东华门街道 1 号"}


def test_buy_back_refuses_and_changes_nothing(t, factories, settings):
    finance = factories.staff("finance")
    with pytest.raises(PermissionDenied):
        S.buy_back(agent=t.low, sku_id=t.sku.pk, quantity=1, by=t.low.user, reason="x")
    with pytest.raises(DomainError):
        S.buy_back(agent=t.low, sku_id=t.sku.pk, quantity=1, by=finance, reason=" ")
    # units promised to an open consumer order cannot be bought back
    orders.create_consumer_order(user=factories.user(), shop_agent_id=t.low.pk, lines=[(t.sku.pk, 8)],
                                 address=ADDRESS)
    with pytest.raises(DomainError) as exc:
        S.buy_back(agent=t.low, sku_id=t.sku.pk, quantity=3, by=finance, reason="termination")
    assert exc.value.code == "buyback_not_in_stock"
    assert not BuyBack.objects.exists() and qty(t.low, t.sku) == (10, 8) and bal("hq_buyback") == 0
    settings.EARNINGS_COMPLIANCE_PROFILE = "cn"
    with pytest.raises(DomainError):
        S.buy_back(agent=t.low, sku_id=t.sku.pk, quantity=1, by=finance, reason="termination")


def test_buy_back_api(t, factories):
    from django.test import Client

    c = Client()
    c.force_login(factories.staff("finance"))
    q = c.get(f"/api/v1/earnings/hq/buybacks/quote?agent_id={t.low.pk}&sku_id={t.sku.pk}&quantity=2")
    assert q.status_code == 200 and D(q.json()["amount"]) == D("162.00")
    body = {"agent_id": t.low.pk, "sku_id": t.sku.pk, "quantity": 2, "reason": "termination"}
    assert c.post("/api/v1/earnings/hq/buybacks", body, content_type="application/json").status_code == 400
    r = c.post("/api/v1/earnings/hq/buybacks", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="x1")
    assert r.status_code == 201 and D(r.json()["amount"]) == D("162.00")
    again = c.post("/api/v1/earnings/hq/buybacks", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="x1")
    assert again.json()["id"] == r.json()["id"] and BuyBack.objects.count() == 1
    agent_client = Client()
    agent_client.force_login(t.low.user)
    assert agent_client.post("/api/v1/earnings/hq/buybacks", body, content_type="application/json",
                             HTTP_IDEMPOTENCY_KEY="x2").status_code == 403


def test_buy_back_from_the_back_office(t, factories):
    from django.test import Client
    from django.urls import reverse

    c = Client()
    c.force_login(factories.staff("finance"))
    url = reverse("admin:earnings_buyback_add")
    assert c.get(url).status_code == 200
    bad = c.post(url, {"agent": t.low.pk, "sku": t.sku.pk, "quantity": 11, "reason": "termination"})
    assert bad.status_code == 200 and not BuyBack.objects.exists()
    r = c.post(url, {"agent": t.low.pk, "sku": t.sku.pk, "quantity": 3, "reason": "termination"})
    assert r.status_code == 302, r.content[:2000]
    bb = BuyBack.objects.get()
    assert bb.amount == D("243.00") and qty(t.low, t.sku) == (7, 0)
    assert unbalanced_journals() == [] and drift() == []
