"""Issue 13 #1 (consumers), page level: the tab bar per role, the landing after login per
role, the shop (badge, cards, search, categories), the product page inside a shop, the
brand pages leading into a shop, the address pages, and the order status tabs."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.orders.helpers import give
from weishang.orders import services
from weishang.orders.models import Address, Order, OrderStatus

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def tabs(html: str) -> dict[str, str]:
    """data-tab -> href of the bottom tab bar."""
    bar = re.search(r'<nav class="tabbar".*?</nav>', html, re.S)
    if bar is None:
        return {}
    return dict((k, v) for v, k in re.findall(r'<a href="([^"]+)" class="tab[^"]*" data-tab="(\w+)"', bar.group(0)))


def active(html: str) -> str | None:
    found = re.search(r'class="tab active" data-tab="(\w+)"', html)
    return found.group(1) if found else None


def test_tab_bar_by_role(tree, factories):
    give(tree.mid, tree.sku, 3)
    consumer = login(factories.user())
    shop = consumer.get(f"/orders/shop/{tree.mid.pk}/").content.decode()
    assert tabs(shop) == {"home": f"/orders/shop/{tree.mid.pk}/", "category": f"/orders/shop/{tree.mid.pk}/categories/",
                          "cart": f"/orders/shop/{tree.mid.pk}/cart/", "me": "/accounts/me/"}
    assert active(shop) == "home"
    consumer.post(f"/orders/shop/{tree.mid.pk}/cart/add/", {"sku": tree.sku.pk, "qty": 2})
    me = consumer.get("/accounts/me/").content.decode()
    assert active(me) == "me" and tabs(me)["cart"] == f"/orders/shop/{tree.mid.pk}/cart/"  # the shop is remembered
    assert re.search(r'data-tab="cart".*?<span class="tab-badge"[^>]*>2</span>', me, re.S)
    assert active(consumer.get(f"/orders/shop/{tree.mid.pk}/cart/").content.decode()) == "cart"
    assert active(consumer.get(f"/orders/shop/{tree.mid.pk}/?q=x").content.decode()) == "category"
    agent = login(tree.low.user).get("/agent/").content.decode()
    assert tabs(agent) == {"home": "/agent/", "restock": "/orders/restock/", "stock": "/inventory/",
                           "team": "/agent/team/", "me": "/accounts/me/"}
    assert active(agent) == "home"
    assert active(login(tree.low.user).get("/inventory/").content.decode()) == "stock"
    assert tabs(login(tree.hq_user).get("/accounts/me/").content.decode()) == {}  # HQ works at a desk
    anonymous = Client().get("/").content.decode()
    assert tabs(anonymous)["home"] == f"/orders/shop/{tree.top.pk}/"  # HQ's shop: the oldest top agent


def test_landing_after_login_by_role(tree, factories, settings):
    def lands(user) -> str:
        c = Client()
        r = c.post("/accounts/login/", {"phone": str(user.phone), "password": factories.PASSWORD})
        assert r.status_code == 302
        return r["Location"]

    assert lands(tree.mid.user) == "/agent/"
    assert lands(tree.hq_user) == "/admin/"
    supplier = factories.user(supplier=factories.supplier())
    assert lands(supplier) == "/orders/supplier/"
    consumer = factories.user()
    assert lands(consumer) == f"/orders/shop/{tree.top.pk}/"  # no shop of its own yet: HQ's
    settings.ORDERS_HQ_SHOP_AGENT_ID = str(tree.low.pk)
    assert lands(consumer) == f"/orders/shop/{tree.low.pk}/"
    give(tree.mid, tree.sku, 2)
    services.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                   address={"name": "张三", "phone": "13912345678", "province_code": "110000",
                                            "city_code": "110100", "district_code": "110101", "detail": "1 号"})
    assert lands(consumer) == f"/orders/shop/{tree.mid.pk}/"  # the shop it bought in
    # ?next= still wins
    r = Client().post("/accounts/login/?next=/orders/", {"phone": str(consumer.phone), "password": factories.PASSWORD})
    assert r["Location"] == "/orders/"


def test_no_open_shop_lands_on_me(factories):
    assert Client().post("/accounts/login/", {"phone": str(factories.user().phone),
                                              "password": factories.PASSWORD})["Location"] == "/accounts/me/"


def test_shop_cards_search_categories_and_product_page(tree, factories):
    from tests.orders.helpers import png

    give(tree.mid, tree.sku, 3)  # sku2: none in stock -> sold out
    tree.sku.product.image.save("a.png", png(), save=True)
    c = Client()
    html = c.get(f"/orders/shop/{tree.mid.pk}/").content.decode()
    assert 'id="shop-badge"' in html and tree.mid.name in html and tree.mid.level.name in html
    assert f'href="/orders/shop/{tree.mid.pk}/p/{tree.sku.product_id}/"' in html
    assert tree.sku.product.image.url in html and "¥128.00" in html and "已售罄" in html
    found = c.get(f"/orders/shop/{tree.mid.pk}/", {"q": tree.sku2.product.name}).content.decode()
    assert tree.sku2.product.name in found and f"/p/{tree.sku.product_id}/" not in found
    none = c.get(f"/orders/shop/{tree.mid.pk}/", {"q": "没有这种东西"}).content.decode()
    assert "本店没有符合的商品" in none
    cats = c.get(f"/orders/shop/{tree.mid.pk}/categories/").content.decode()
    assert tree.sku.product.line.name in cats and tree.sku2.product.line.name in cats
    page = c.get(f"/orders/shop/{tree.mid.pk}/p/{tree.sku.product_id}/").content.decode()
    assert 'name="sku"' in page and 'data-stepper' in page and "立即购买" in page and "加入购物车" in page
    assert tree.sku.product.image.url in page
    other = factories.sku()  # no level price: this shop does not sell it
    assert c.get(f"/orders/shop/{tree.mid.pk}/p/{other.product_id}/").status_code == 404
    # 加入购物车 stays on the product page and says so; 立即购买 goes to the cart
    r = c.post(f"/orders/shop/{tree.mid.pk}/cart/add/", {"sku": tree.sku.pk, "qty": 2, "then": "product"})
    assert r["Location"] == f"/orders/shop/{tree.mid.pk}/p/{tree.sku.product_id}/?sku={tree.sku.pk}"
    r = c.post(f"/orders/shop/{tree.mid.pk}/cart/add/", {"sku": tree.sku.pk, "qty": 1, "then": "cart"})
    assert r["Location"] == f"/orders/shop/{tree.mid.pk}/cart/"
    assert c.session[f"cart:{tree.mid.pk}"] == {str(tree.sku.pk): 3}


def test_brand_pages_lead_into_a_shop(tree, factories):
    give(tree.mid, tree.sku, 3)
    c = Client()
    home = c.get("/").content.decode()
    assert f'href="/orders/shop/{tree.top.pk}/"' in home  # nobody's visitor yet: HQ's shop
    c.get(f"/orders/shop/{tree.mid.pk}/")  # came in through a shop link
    assert f'href="/orders/shop/{tree.mid.pk}/"' in c.get("/").content.decode()
    page = c.get(f"/p/{tree.sku.product_id}/").content.decode()
    assert f'id="buy-in-shop" href="/orders/shop/{tree.mid.pk}/p/{tree.sku.product_id}/"' in page


def test_cart_shows_fee_and_checkout_uses_the_default_address(tree, factories, address):
    from decimal import Decimal

    from weishang.orders.models import FeeTemplate

    FeeTemplate.objects.create(name="默认", currency="CNY", first_fee=Decimal("10"), extra_fee=Decimal("2"),
                               is_active=True)
    give(tree.mid, tree.sku, 5)
    buyer = factories.user()
    home = services.save_address(user=buyer, address=address)
    services.save_address(user=buyer, address={**address, "detail": "公司"})
    c = login(buyer)
    c.post(f"/orders/shop/{tree.mid.pk}/cart/add/", {"sku": tree.sku.pk, "qty": 2})
    html = c.get(f"/orders/shop/{tree.mid.pk}/cart/").content.decode()
    assert f'value="{home.pk}" checked' in html
    assert "¥12.00" in html and "¥268.00" in html  # 10 + 2 for the second unit; 256 + 12
    c.post(f"/orders/shop/{tree.mid.pk}/cart/add/", {"sku": tree.sku.pk, "qty": -1})
    assert "¥138.00" in c.get(f"/orders/shop/{tree.mid.pk}/cart/").content.decode()
    r = c.post(f"/orders/shop/{tree.mid.pk}/checkout/", {"idempotency_key": "d1", "address": str(home.pk)})
    assert r.status_code == 302
    order = Order.objects.get(buyer=buyer)
    assert (order.address_detail, order.shipping_fee, order.total) == ("东华门街道 1 号", Decimal("10.00"),
                                                                      Decimal("138.00"))
    assert Address.objects.filter(user=buyer).count() == 2  # nothing new saved


def test_address_pages(factories, address):
    buyer = factories.user()
    c = login(buyer)
    assert "还没有收货地址" in c.get("/orders/addresses/").content.decode()
    form = {"name": "张三", "phone": "13912345678", "region_province": "110000", "region_city": "110100",
            "region_district": "110101", "detail": "1 号"}
    bad = c.post("/orders/addresses/new/", {**form, "phone": "1"})
    assert bad.status_code == 400 and not Address.objects.exists()
    r = c.post("/orders/addresses/new/", {**form, "next": "/orders/shop/1/cart/"})
    first = Address.objects.get()
    assert r["Location"] == f"/orders/shop/1/cart/?address={first.pk}" and first.is_default
    c.post("/orders/addresses/new/", {**form, "detail": "2 号", "save_address": "on"})
    second = Address.objects.get(detail="2 号")
    assert second.is_default and not Address.objects.get(pk=first.pk).is_default
    c.post(f"/orders/addresses/{first.pk}/default/")
    assert Address.objects.get(pk=first.pk).is_default
    c.post(f"/orders/addresses/{first.pk}/", {**form, "detail": "1 号楼"})
    assert Address.objects.get(pk=first.pk).detail == "1 号楼"
    c.post(f"/orders/addresses/{first.pk}/delete/")
    assert list(Address.objects.values_list("pk", "is_default")) == [(second.pk, True)]
    stranger = login(factories.user())
    assert stranger.get(f"/orders/addresses/{second.pk}/").status_code == 404
    stranger.post(f"/orders/addresses/{second.pk}/delete/")
    assert Address.objects.filter(pk=second.pk).exists()
    assert Client().get("/orders/addresses/").status_code == 302  # log in first


def test_order_status_tabs_with_thumbnails(tree, factories, address):
    give(tree.mid, tree.sku, 5)
    buyer = factories.user()
    pending = services.create_consumer_order(user=buyer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                             address=address)
    shipped = services.create_consumer_order(user=buyer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 2)],
                                             address=address)
    Order.objects.filter(pk=shipped.pk).update(status=OrderStatus.SHIPPED)
    c = login(buyer)
    every = c.get("/orders/").content.decode()
    assert pending.no in every and shipped.no in every and tree.sku.product.name in every
    to_pay = c.get("/orders/?tab=bought&status=pending").content.decode()
    assert pending.no in to_pay and shipped.no not in to_pay and 'class="thumb' in to_pay
    to_receive = c.get("/orders/?tab=bought&status=to_receive").content.decode()
    assert shipped.no in to_receive and pending.no not in to_receive
    assert "这里还没有订单" in c.get("/orders/?tab=bought&status=aftersales").content.decode()
    me = c.get("/accounts/me/").content.decode()
    assert re.search(r'status=pending" data-status="pending"><span class="me-n">1</span>', me)
    assert 'href="/orders/addresses/"' in me and 'href="/orders/"' in me
