"""Pages: each role sees only its own; every endpoint refuses strangers (403/404)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from tests.orders.helpers import give, png, qty
from weishang.orders import services
from weishang.orders.models import Order, OrderStatus
from weishang.payments import services as pay

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_agent_pages_render_and_restock_by_page_is_idempotent(tree):
    give(tree.mid, tree.sku, 5)
    c = login(tree.low.user)
    for url in ("/orders/restock/", "/orders/", "/orders/?tab=sold", "/orders/?tab=requests", "/orders/prices/",
                "/inventory/", "/inventory/history/", "/inventory/pickup/", "/payments/"):
        assert c.get(url).status_code == 200, url
    data = {"idempotency_key": "page-1", f"qty_{tree.sku.pk}": "2"}
    r1 = c.post("/orders/restock/", data)
    r2 = c.post("/orders/restock/", data)
    assert r1.status_code == r2.status_code == 302 and r1["Location"] == r2["Location"]
    assert Order.objects.count() == 1 and qty(tree.mid, tree.sku) == (5, 2)
    no = Order.objects.get().no
    assert c.get(f"/orders/{no}/").status_code == 200
    assert login(tree.mid.user).get(f"/orders/{no}/").status_code == 200


def test_agent_only_pages_refuse_consumers_and_anonymous(tree, factories):
    consumer = login(factories.user())
    for url in ("/orders/restock/", "/orders/prices/", "/inventory/", "/inventory/history/", "/inventory/pickup/",
                "/payments/", "/orders/supplier/", "/orders/supplier/export.xlsx", "/orders/hq/picklist/",
                "/inventory/hq/", "/inventory/hq/adjust/", "/payments/hq/topup/"):
        assert consumer.get(url).status_code == 403, url
        assert Client().get(url).status_code == 302, url  # to the login page
    # An agent is not HQ or a supplier either.
    agent = login(tree.low.user)
    for url in ("/orders/supplier/", "/orders/hq/picklist/", "/inventory/hq/", "/payments/hq/topup/"):
        assert agent.get(url).status_code == 403, url


def test_order_actions_on_someone_elses_order_are_404(tree, factories, address):
    give(tree.mid, tree.sku, 5)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 1)])
    stranger = login(tree.top.user)
    assert stranger.get(f"/orders/{order.no}/").status_code == 404
    for action in ("cancel", "received", "pass-up", "ship", "pack"):
        r = stranger.post(f"/orders/{order.no}/{action}/", {"carrier": "SF", "tracking_no": "1"})
        assert r.status_code in (403, 404), action
    assert stranger.get(f"/payments/pay/{order.no}/").status_code == 404
    assert login(tree.mid.user).get(f"/payments/pay/{order.no}/").status_code == 404  # the seller cannot pay it
    # The seller cannot cancel the buyer's order.
    assert login(tree.mid.user).post(f"/orders/{order.no}/cancel/").status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_payment_confirm_by_stranger_is_404(tree, factories):
    give(tree.mid, tree.sku, 5)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 1)])
    p = pay.pay(order_no=order.no, user=tree.low.user, method="offline",
                proof=png())
    assert login(tree.top.user).post(f"/payments/{p.pk}/confirm/").status_code == 404
    assert login(tree.low.user).post(f"/payments/{p.pk}/confirm/").status_code == 403
    assert login(tree.top.user).post(f"/payments/{p.pk}/reject/", {"reason": "x"}).status_code == 404
    r = login(tree.mid.user).post(f"/payments/{p.pk}/confirm/")
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED


def test_consumer_shop_cart_checkout(tree, factories):
    give(tree.mid, tree.sku, 5)
    c = login(factories.user())
    assert c.get(f"/orders/shop/{tree.mid.pk}/").status_code == 200
    assert c.get(f"/orders/shop/{tree.mid.pk}/qr.svg").status_code == 200
    assert c.get("/orders/shop/999999/").status_code == 404
    r = c.post(f"/orders/shop/{tree.mid.pk}/cart/add/", {"sku": tree.sku.pk, "qty": 2}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert c.get(f"/orders/shop/{tree.mid.pk}/cart/").status_code == 200
    data = {"idempotency_key": "co-1", "name": "王五", "phone": "13912345678", "region_province": "110000",
            "region_city": "110100", "region_district": "110101", "detail": "1 号", "save_address": "on"}
    bad = c.post(f"/orders/shop/{tree.mid.pk}/checkout/", {**data, "region_district": "999999"})
    assert bad.status_code == 400 and not Order.objects.exists()
    r = c.post(f"/orders/shop/{tree.mid.pk}/checkout/", data)
    assert r.status_code == 302, r.content[:2000]
    order = Order.objects.get()
    assert order.total == 256 and qty(tree.mid, tree.sku) == (5, 2)
    # Double submit returns the same order.
    r2 = c.post(f"/orders/shop/{tree.mid.pk}/checkout/", data)
    assert r2.status_code == 302 and Order.objects.count() == 1
    # Frozen shop: closed.
    tree.mid.status = "frozen"
    tree.mid.save()
    assert c.get(f"/orders/shop/{tree.mid.pk}/").status_code == 404


def test_supplier_sees_only_own_exports_and_imports(tree, factories, address):
    from decimal import Decimal

    supplier, other = factories.supplier(), factories.supplier()
    ds = factories.sku(drop_shipped=True, supplier=supplier, retail_price=Decimal("100"), floor_price=Decimal("80"),
                       ceiling_price=Decimal("120"))
    ds_other = factories.sku(drop_shipped=True, supplier=other, retail_price=Decimal("100"),
                             floor_price=Decimal("80"), ceiling_price=Decimal("120"))
    factories.level_price(tree.levels[1], ds, "60")
    factories.level_price(tree.levels[1], ds_other, "60")
    buyer = factories.user()
    mine = services.create_consumer_order(user=buyer, shop_agent_id=tree.mid.pk, lines=[(ds.pk, 1)], address=address)
    theirs = services.create_consumer_order(user=buyer, shop_agent_id=tree.mid.pk, lines=[(ds_other.pk, 1)],
                                            address=address)
    for o in (mine, theirs):
        p = pay.pay(order_no=o.no, user=buyer, method="offline",
                    proof=png())
        pay.confirm(payment_id=p.pk, user=tree.mid.user)
    c = login(factories.user(supplier=supplier))
    page = c.get("/orders/supplier/").content.decode()
    assert mine.no in page and theirs.no not in page
    assert c.get(f"/orders/{theirs.no}/").status_code == 404
    assert c.get(f"/orders/{mine.no}/").status_code == 200
    r = c.get("/orders/supplier/export.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == "order_no" and [row[0] for row in rows[2:]] == [mine.no]
    ws.cell(row=3, column=10, value="SF")
    ws.cell(row=3, column=11, value="SF123")
    ws.append([theirs.no, "", "", 1, "", "", "", "", "", "SF", "SF999"])  # not ours: refused
    buf = io.BytesIO()
    wb.save(buf)
    r = c.post("/orders/supplier/import/", {"file": SimpleUploadedFile("t.xlsx", buf.getvalue())})
    assert r.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == OrderStatus.SHIPPED and mine.shipments.get().tracking_no == "SF123"
    assert theirs.status == OrderStatus.PAID
    # Importing the same file again records nothing new.
    c.post("/orders/supplier/import/", {"file": SimpleUploadedFile("t.xlsx", buf.getvalue())})
    assert mine.shipments.count() == 1
    r = c.post("/orders/supplier/import/", {"file": SimpleUploadedFile("t.xlsx", b"not excel")})
    assert r.status_code == 302


def test_hq_pages_pick_list_adjust_topup(tree, factories, address):
    give(tree.mid, tree.sku, 5)
    order = services.create_pickup(user=tree.mid.user, lines=[(tree.sku.pk, 2)], address=address)
    wh = login(factories.staff("warehouse"))
    page = wh.get("/orders/hq/picklist/").content.decode()
    assert order.no in page
    assert wh.post(f"/orders/{order.no}/pack/").status_code == 302
    r = wh.post(f"/orders/{order.no}/ship/", {"carrier": "SF", "tracking_no": "SF1"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.packed_at
    assert wh.get("/inventory/hq/").status_code == 200
    assert wh.get("/payments/hq/topup/").status_code == 403  # warehouse is not finance
    admin = login(tree.hq_user)
    r = admin.post("/inventory/hq/adjust/", {"idempotency_key": "a1", "sku": tree.sku.pk, "quantity": 10,
                                             "reason": "入库"})
    assert r.status_code == 302 and qty(None, tree.sku) == (10, 0)
    r = admin.post("/payments/hq/topup/", {"idempotency_key": "t1", "agent": tree.low.pk, "amount": "100",
                                           "currency": "CNY", "reason": "活动奖励"})
    assert r.status_code == 302
    admin.post("/payments/hq/topup/", {"idempotency_key": "t1", "agent": tree.low.pk, "amount": "100",
                                       "currency": "CNY", "reason": "活动奖励"})
    assert pay.prepaid_balance(tree.low.pk, "CNY") == 100


def test_topup_by_transfer_to_upline(tree):
    c = login(tree.low.user)
    r = c.post("/payments/topup/", {"idempotency_key": "u1", "amount": "300", "proof": png()})
    assert r.status_code == 302
    from weishang.payments.models import TopUp

    t = TopUp.objects.get()
    assert t.payee_agent == tree.mid and t.status == "submitted"
    assert login(tree.top.user).post(f"/payments/topups/{t.pk}/1/").status_code == 404
    assert c.post(f"/payments/topups/{t.pk}/1/").status_code == 404  # not its own
    assert login(tree.mid.user).post(f"/payments/topups/{t.pk}/1/").status_code == 302
    assert pay.prepaid_balance(tree.low.pk, "CNY") == 300


def test_bad_form_input_is_a_clear_4xx(tree, factories):
    c = login(factories.user())
    assert c.post(f"/orders/shop/{tree.mid.pk}/cart/add/", {"sku": "abc"}).status_code == 404
    assert c.post(f"/orders/shop/{tree.mid.pk}/cart/add/", {"sku": "999999"}).status_code == 404
    agent = login(tree.low.user)
    r = agent.post("/orders/restock/", {"idempotency_key": "bad", f"qty_{tree.sku.pk}": "-2"})
    assert r.status_code == 400 and "form-errors" in r.content.decode()
    r = agent.post("/orders/restock/", {f"qty_{tree.sku.pk}": "2"})  # no idempotency key
    assert r.status_code == 400 and not Order.objects.exists()
    r = agent.post("/orders/prices/", {"sku": tree.sku.pk, "price": "1.00"})
    assert r.status_code == 302
    from weishang.orders.models import ShopPrice

    assert not ShopPrice.objects.exists()


def test_seller_sees_its_price_difference(tree):
    give(tree.mid, tree.sku, 10)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 10)])
    page = login(tree.mid.user).get(f"/orders/{order.no}/").content.decode()
    assert "200.00" in page  # (90 - 70) x 10
    assert "200.00" not in login(tree.low.user).get(f"/orders/{order.no}/").content.decode()
