"""Issue 13 #1 in a browser at 390×844 (a new user, as the issue tried it): a consumer
follows a share link, sees picture cards, opens a product, picks a SKU, uses the stepper,
adds to the cart (the tab bar's badge counts it), changes the quantity in the cart, logs in,
checks out with a new address (kept as the default), buys again (the default is
preselected), and finds the order under 待付款 with its thumbnail. The agent's tab bar leads
to its pages; each role lands on its own page after login. Phone pages stay under 150 KB
without product images (measured here; docs/benchmarks.md has the numbers)."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from tests import factories as f
from tests.browser import phone_load, sign_in
from tests.orders.helpers import build_tree, give
from weishang.orders import sharing
from weishang.orders.models import Address, Order, OrderStatus

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}
LIMIT = 150 * 1024


def _catalog(t):
    from weishang.catalog.demo import draw_product_image
    from weishang.catalog.models import ProductImage

    product = t.sku.product
    product.name = "玻尿酸精华"
    product.image.save("serum.jpg", ContentFile(draw_product_image("玻尿酸精华", "补水", (72, 148, 214), "bottle"
                                                                   )), save=False)
    product.save()
    for i, color in enumerate(((232, 160, 64), (92, 168, 120))):
        extra = ProductImage(product=product, position=i)
        extra.image.save(f"d{i}.jpg", ContentFile(draw_product_image("玻尿酸精华", "细节", color, "jar")),
                         save=True)
    big = f.sku(product=product, name="100ml", retail_price=Decimal("198.00"), floor_price=Decimal("150.00"),
                ceiling_price=Decimal("238.00"))
    for level, price in zip(t.levels, ("80", "100", "120"), strict=True):
        f.level_price(level, big, price)
    t.sku2.product.name = "补水面膜"
    t.sku2.product.image.save("mask.jpg", ContentFile(draw_product_image("面膜", "", (92, 168, 120), "sachet")),
                                   save=True)
    give(t.mid, t.sku, 10)
    give(t.mid, big, 10)
    give(t.mid, t.sku2, 10)
    return big


def _shot(page, tmp_path, name: str) -> None:
    out = os.environ.get("STORE_SHOTS") or str(tmp_path)
    page.screenshot(path=os.path.join(out, f"{name}.png"), full_page=True)


def test_a_new_consumer_buys_twice_through_a_share_link(browser, live_server, transactional_db, tmp_path):
    t = build_tree(f)
    big = _catalog(t)
    consumer = f.user(phone="+8613912340077")
    ctx = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.on("dialog", lambda d: d.accept())
    page.goto(live_server.url + sharing.shop_path(t.mid.pk, t.low.pk))
    assert t.mid.name in page.inner_text("#shop-badge")
    cards = page.locator(".product-card")
    assert cards.count() == 2
    assert page.evaluate("() => [...document.querySelectorAll('.product-card img')].every(i => i.naturalWidth > 0)")
    assert "¥128.00" in cards.first.inner_text()  # the cheaper of its two SKUs ("起")
    assert page.locator(".tabbar a").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, tmp_path, "shop")

    cards.filter(has_text="玻尿酸精华").locator("a").first.click()
    page.wait_for_url(f"**/orders/shop/{t.mid.pk}/p/{t.sku.product_id}/")
    assert page.locator(".gallery img").count() == 3
    page.click("label.sku-chip:has-text('100ml')")
    assert page.inner_text("[data-sku-price]") == "¥198.00"
    page.click("[data-step='1']")
    page.click("[data-step='1']")
    page.click("[data-step='-1']")
    assert page.input_value("input[name=qty]") == "2"
    _shot(page, tmp_path, "product")
    page.click("button[name=then][value=product]")
    page.wait_for_selector(".msg")
    assert "已加入购物车" in page.inner_text(".messages")
    assert page.inner_text(".tabbar [data-tab=cart] .tab-badge") == "2"

    page.click(".tabbar [data-tab=cart]")
    page.wait_for_url(f"**/orders/shop/{t.mid.pk}/cart/")
    page.click(f".cart-line[data-sku='{big.pk}'] [aria-label='加一件']")
    page.wait_for_load_state()
    assert page.inner_text(f".cart-line[data-sku='{big.pk}'] .qty-now") == "3"
    page.click(f".cart-line[data-sku='{big.pk}'] [aria-label='减一件'], .cart-line[data-sku='{big.pk}'] button:has-text('−')")
    page.wait_for_load_state()
    assert page.inner_text(f".cart-line[data-sku='{big.pk}'] .qty-now") == "2"
    assert "¥396.00" in page.inner_text("#totals")
    page.click("a:has-text('登录后下单')")
    page.fill("input[name=phone]", "139 1234 0077")
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/orders/shop/{t.mid.pk}/cart/")
    page.fill("input[name=name]", "张三")
    page.fill("input[name=phone]", "139 1234 0077")
    page.select_option("select[name=region_province]", "110000")
    page.wait_for_selector("select[name=region_city] option[value='110100']", state="attached")
    page.select_option("select[name=region_city]", "110100")
    page.wait_for_selector("select[name=region_district] option[value='110101']", state="attached")
    page.select_option("select[name=region_district]", "110101")
    page.fill("input[name=detail]", "东华门街道 1 号")
    _shot(page, tmp_path, "cart-first")
    page.click("button:has-text('提交订单')")
    page.wait_for_url("**/orders/WS*/")
    first = Order.objects.get(buyer=consumer)
    assert first.shared_by_id == t.low.pk and first.lines.get().quantity == 2
    saved = Address.objects.get(user=consumer)
    assert saved.is_default

    # second purchase: 立即购买 → cart with the default address already chosen
    page.click(".tabbar [data-tab=home]")
    page.wait_for_url(f"**/orders/shop/{t.mid.pk}/")
    page.locator(".product-card", has_text="面膜").locator("a").first.click()
    page.click("button[name=then][value=cart]")
    page.wait_for_url(f"**/orders/shop/{t.mid.pk}/cart/")
    assert page.is_checked(f"input[name=address][value='{saved.pk}']")
    assert "东华门街道 1 号" in page.inner_text("#checkout")
    _shot(page, tmp_path, "cart-second")
    page.click("button:has-text('提交订单')")
    page.wait_for_url("**/orders/WS*/")
    second = Order.objects.filter(buyer=consumer).latest("pk")
    assert second.pk != first.pk and second.address_detail == "东华门街道 1 号"
    assert Address.objects.filter(user=consumer).count() == 1

    page.click(".tabbar [data-tab=me]")
    page.wait_for_url("**/accounts/me/")
    assert page.inner_text(".me-order-tabs [data-status=pending] .me-n") == "2"
    page.click(".me-order-tabs [data-status=pending]")
    page.wait_for_url("**/orders/?tab=bought&status=pending")
    listed = page.locator(".order-list li", has_text=second.no)
    assert "面膜" in listed.inner_text()
    assert listed.locator("img.thumb").evaluate("i => i.naturalWidth > 0")
    assert page.locator(".status-tabs a.active").inner_text().startswith("待付款")
    _shot(page, tmp_path, "orders")

    # page weight without product images (the proof: < 150 KB on a phone)
    state = ctx.storage_state()
    loads = {}
    for name, url in (("shop", f"/orders/shop/{t.mid.pk}/"), ("product", f"/orders/shop/{t.mid.pk}/p/{t.sku.product_id}/"),
                      ("cart", f"/orders/shop/{t.mid.pk}/cart/"), ("orders", "/orders/?tab=bought&status=pending"),
                      ("me", "/accounts/me/"), ("addresses", "/orders/addresses/")):
        loads[name] = phone_load(browser, live_server.url + url, state=state, viewport=PHONE)
    print("\n| page | bytes | DOMContentLoaded ms | load ms |")
    for name, m in loads.items():
        print(f"| {name} | {m['bytes']:,} | {m['dom_ms']} | {m['load_ms']} |")
    assert all(m["bytes"] < LIMIT for m in loads.values()), loads
    ctx.close()
    assert Order.objects.filter(buyer=consumer, status=OrderStatus.PENDING).count() == 2


def test_agent_tab_bar_and_landing_by_role(browser, live_server, transactional_db, tmp_path):
    t = build_tree(f)
    give(t.mid, t.sku, 3)
    page = sign_in(browser, live_server, str(t.mid.user.phone), "/agent/", ask_for=False, viewport=PHONE)
    assert page.locator(".tabbar a").count() == 5
    assert page.get_attribute(".tabbar a.active", "data-tab") == "home"
    _shot(page, tmp_path, "agent-home")
    for tab, path in (("stock", "/inventory/"), ("restock", "/orders/restock/"), ("team", "/agent/team/"),
                      ("me", "/accounts/me/")):
        page.click(f".tabbar [data-tab={tab}]")
        page.wait_for_url(f"{live_server.url}{path}")
        assert page.get_attribute(".tabbar a.active", "data-tab") == tab
    # the tab bar never covers the page's last control (the spacer keeps it reachable)
    box = page.evaluate("() => { const b = document.querySelector('.footer button').getBoundingClientRect();"
                        " window.scrollTo(0, document.body.scrollHeight);"
                        " const after = document.querySelector('.footer button').getBoundingClientRect();"
                        " return [after.bottom, document.querySelector('.tabbar').getBoundingClientRect().top]; }")
    assert box[0] <= box[1]
    page.context.close()
    consumer = f.user(phone="+8613912340066")
    page = sign_in(browser, live_server, str(consumer.phone), f"/orders/shop/{t.top.pk}/", ask_for=False,
                   viewport=PHONE)  # no shop of its own: HQ's shop (the oldest top agent)
    page.context.close()
    page = sign_in(browser, live_server, str(t.hq_user.phone), "/admin/", ask_for=False, viewport=PHONE)
    page.context.close()
