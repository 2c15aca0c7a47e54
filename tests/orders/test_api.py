from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.orders.helpers import give, qty
from weishang.orders.models import Order, OrderStatus
from weishang.payments import services as pay
from weishang.payments.models import Payment

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c, url, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return c.post(url, json.dumps(data), content_type="application/json", **headers)


def png() -> SimpleUploadedFile:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    return SimpleUploadedFile("proof.png", buf.getvalue(), content_type="image/png")


def test_restock_requires_idempotency_key_and_retry_returns_first_result(tree):
    give(tree.mid, tree.sku, 10)
    c = client_for(tree.low.user)
    body = {"lines": [{"sku_id": tree.sku.pk, "quantity": 4}]}
    r = post(c, "/api/v1/orders/restocks", body)
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_required"
    r1 = post(c, "/api/v1/orders/restocks", body, "k-1")
    assert r1.status_code == 201, r1.content
    r2 = post(c, "/api/v1/orders/restocks", body, "k-1")
    assert r2.status_code == 201 and r2.json() == r1.json()
    assert Order.objects.count() == 1 and qty(tree.mid, tree.sku) == (10, 4)
    r3 = post(c, "/api/v1/orders/restocks", {"lines": [{"sku_id": tree.sku.pk, "quantity": 5}]}, "k-1")
    assert r3.status_code == 422 and r3.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_pay_prepaid_twice_and_someone_elses_order(tree):
    give(tree.mid, tree.sku, 10)
    pay.hq_topup(agent=tree.low, amount="1000", currency="CNY", reason="t", user=tree.hq_user)
    c = client_for(tree.low.user)
    no = post(c, "/api/v1/orders/restocks", {"lines": [{"sku_id": tree.sku.pk, "quantity": 2}]}, "a").json()["no"]
    other = client_for(tree.top.user)
    r = other.post(f"/api/v1/payments/orders/{no}/pay", {"method": "prepaid"}, HTTP_IDEMPOTENCY_KEY="x")
    assert r.status_code == 404
    r1 = c.post(f"/api/v1/payments/orders/{no}/pay", {"method": "prepaid"}, HTTP_IDEMPOTENCY_KEY="p1")
    assert r1.status_code == 201, r1.content
    assert r1.json()["order_status"] == "received"
    r2 = c.post(f"/api/v1/payments/orders/{no}/pay", {"method": "prepaid"}, HTTP_IDEMPOTENCY_KEY="p1")
    assert r2.status_code == 201 and r2.json()["id"] == r1.json()["id"]
    r3 = c.post(f"/api/v1/payments/orders/{no}/pay", {"method": "prepaid"}, HTTP_IDEMPOTENCY_KEY="p2")
    assert r3.status_code == 409 and r3.json()["code"] == "already_paid"
    assert pay.prepaid_balance(tree.low.pk, "CNY") == Decimal("820.00")
    assert Payment.objects.count() == 1


def test_prepaid_insufficient_changes_nothing(tree):
    give(tree.mid, tree.sku, 10)
    c = client_for(tree.low.user)
    no = post(c, "/api/v1/orders/restocks", {"lines": [{"sku_id": tree.sku.pk, "quantity": 2}]}, "a").json()["no"]
    r = c.post(f"/api/v1/payments/orders/{no}/pay", {"method": "prepaid"}, HTTP_IDEMPOTENCY_KEY="p")
    assert r.status_code == 409 and r.json()["code"] == "insufficient_balance"
    assert Payment.objects.count() == 0
    assert Order.objects.get(no=no).status == OrderStatus.PENDING
    assert qty(tree.mid, tree.sku) == (10, 2)


def test_offline_transfer_confirmed_by_payee_only(tree):
    give(tree.mid, tree.sku, 10)
    c = client_for(tree.low.user)
    no = post(c, "/api/v1/orders/restocks", {"lines": [{"sku_id": tree.sku.pk, "quantity": 2}]}, "a").json()["no"]
    r = c.post(f"/api/v1/payments/orders/{no}/pay", {"method": "offline"}, HTTP_IDEMPOTENCY_KEY="o0")
    assert r.status_code == 400 and r.json()["code"] == "proof_required"
    r = c.post(f"/api/v1/payments/orders/{no}/pay", {"method": "offline", "proof": png()}, HTTP_IDEMPOTENCY_KEY="o1")
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert r.json()["status"] == "submitted" and r.json()["order_status"] == "pending"
    # The buyer cannot confirm its own transfer; a stranger cannot see it.
    assert c.post(f"/api/v1/payments/{pid}/confirm").status_code == 403
    assert client_for(tree.top.user).post(f"/api/v1/payments/{pid}/confirm").status_code == 404
    r = client_for(tree.mid.user).post(f"/api/v1/payments/{pid}/confirm")
    assert r.status_code == 200 and r.json()["order_status"] == "received"
    assert qty(tree.low, tree.sku) == (2, 0)
    assert client_for(tree.mid.user).post(f"/api/v1/payments/{pid}/confirm").status_code == 409


def test_order_visibility(tree, factories):
    give(tree.mid, tree.sku, 10)
    c = client_for(tree.low.user)
    no = post(c, "/api/v1/orders/restocks", {"lines": [{"sku_id": tree.sku.pk, "quantity": 2}]}, "a").json()["no"]
    assert c.get(f"/api/v1/orders/{no}").status_code == 200
    assert client_for(tree.mid.user).get(f"/api/v1/orders/{no}").status_code == 200  # the seller
    assert client_for(tree.top.user).get(f"/api/v1/orders/{no}").status_code == 404
    assert client_for(factories.user()).get(f"/api/v1/orders/{no}").status_code == 404
    assert Client().get(f"/api/v1/orders/{no}").status_code == 401
    assert client_for(tree.top.user).post(f"/api/v1/orders/{no}/cancel", "{}",
                                          content_type="application/json").status_code == 404
    assert client_for(tree.mid.user).post(f"/api/v1/orders/{no}/cancel", "{}",
                                          content_type="application/json").status_code == 403
    assert [o["no"] for o in client_for(tree.mid.user).get("/api/v1/orders/?role=seller").json()] == [no]
    assert client_for(tree.top.user).get("/api/v1/orders/?role=seller").json() == []


def test_stock_api_own_only_and_hq_adjust(tree):
    give(tree.mid, tree.sku, 7)
    r = client_for(tree.mid.user).get("/api/v1/inventory/stock")
    assert [(s["sku_id"], s["quantity"]) for s in r.json()] == [(tree.sku.pk, 7)]
    assert client_for(tree.low.user).get("/api/v1/inventory/stock").json() == []
    assert client_for(tree.low.user).get("/api/v1/inventory/hq/stock").status_code == 401
    hq = client_for(tree.hq_user)
    r = post(hq, "/api/v1/inventory/hq/adjust", {"sku_id": tree.sku.pk, "quantity": 5, "reason": ""}, "adj1")
    assert r.status_code == 400 and "reason" in r.json()["fields"]
    r = post(hq, "/api/v1/inventory/hq/adjust", {"sku_id": tree.sku.pk, "quantity": 5, "reason": "入库"}, "adj2")
    assert r.status_code == 201 and r.json()["balance_after"] == 5
    r = post(hq, "/api/v1/inventory/hq/adjust", {"sku_id": tree.sku.pk, "quantity": -6, "reason": "盘亏"}, "adj3")
    assert r.status_code == 409
    assert qty(None, tree.sku) == (5, 0)


def test_every_api_endpoint_refuses_strangers(tree, factories):
    """Anonymous: 401. Another agent / a consumer: 403 or 404, and nothing changes."""
    give(tree.mid, tree.sku, 10)
    c = client_for(tree.low.user)
    no = post(c, "/api/v1/orders/restocks", {"lines": [{"sku_id": tree.sku.pk, "quantity": 2}]}, "a").json()["no"]
    r = c.post(f"/api/v1/payments/orders/{no}/pay", {"method": "offline", "proof": png()}, HTTP_IDEMPOTENCY_KEY="o")
    pid = r.json()["id"]
    from weishang.payments.models import TopUp

    t = pay.request_topup(user=tree.low.user, amount="10", currency="CNY", proof=png())
    calls = [
        ("get", f"/api/v1/orders/{no}", None),
        ("post", f"/api/v1/orders/{no}/cancel", {}),
        ("post", f"/api/v1/orders/{no}/received", {}),
        ("post", f"/api/v1/orders/{no}/pass-up", {}),
        ("post", f"/api/v1/orders/{no}/ship", {"carrier": "SF", "tracking_no": "1"}),
        ("post", f"/api/v1/payments/{pid}/confirm", {}),
        ("post", f"/api/v1/payments/{pid}/reject", {"reason": "x"}),
        ("post", f"/api/v1/payments/topups/{t.pk}/confirm", {}),
        ("post", "/api/v1/payments/topups", {"agent_id": tree.low.pk, "amount": "5", "reason": "x"}),
        ("get", "/api/v1/inventory/hq/stock", None),
        ("post", "/api/v1/inventory/hq/adjust", {"sku_id": tree.sku.pk, "quantity": 5, "reason": "x"}),
    ]
    strangers = [client_for(tree.top.user), client_for(factories.user())]
    for method, url, body in calls:
        anon = getattr(Client(), method)(url, json.dumps(body or {}), content_type="application/json",
                                         HTTP_IDEMPOTENCY_KEY="s") if method == "post" else Client().get(url)
        assert anon.status_code == 401, url
        for s in strangers:
            if method == "get":
                r = s.get(url)
            else:
                r = s.post(url, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"s{url}")
            assert r.status_code in (401, 403, 404), (url, r.status_code, r.content)
    for s in strangers:
        assert s.get("/api/v1/orders/").json() == []
    consumer = client_for(factories.user())
    assert consumer.get("/api/v1/inventory/stock").status_code == 403
    assert consumer.get("/api/v1/inventory/movements").status_code == 403
    assert consumer.get("/api/v1/payments/balance").status_code == 404
    order = Order.objects.get(no=no)
    assert order.status == OrderStatus.PENDING and Payment.objects.get(pk=pid).status == "submitted"
    assert TopUp.objects.get(pk=t.pk).status == "submitted" and qty(None, tree.sku) == (0, 0)
