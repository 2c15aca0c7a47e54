"""On a phone (390x844): a consumer buys a product in a shop and pays through the sandbox
provider: pay page (providers, total, countdown) → sandbox page → signed notification →
the checkout page sees the payment confirmed → the order is paid."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser import sign_in
from tests.orders.helpers import build_tree, give
from weishang.orders.models import Order, OrderStatus
from weishang.payments.models import NotificationOutcome, ProviderNotification

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_consumer_buys_through_the_sandbox_provider(browser, live_server, transactional_db, settings, tmp_path):
    settings.PAYMENTS_PROVIDERS = "sandbox"
    t = build_tree(f)
    give(t.mid, t.sku, 5)
    consumer = f.user(phone="+8613912340088")
    page = sign_in(browser, live_server, "139 1234 0088", f"/orders/shop/{t.mid.pk}/",
                   viewport={"width": 390, "height": 844})
    page.on("dialog", lambda d: d.accept())
    with page.expect_response(lambda r: "/cart/add" in r.url):  # htmx: wait before leaving the page
        page.click("button:has-text('加入购物车')")
    page.goto(f"{live_server.url}/orders/shop/{t.mid.pk}/cart/")
    page.fill("input[name=name]", "张三")
    page.fill("input[name=phone]", "139 1234 0088")
    page.select_option("select[name=region_province]", "110000")
    page.wait_for_selector("select[name=region_city] option[value='110100']", state="attached")
    page.select_option("select[name=region_city]", "110100")
    page.wait_for_selector("select[name=region_district] option[value='110101']", state="attached")
    page.select_option("select[name=region_district]", "110101")
    page.fill("input[name=detail]", "东华门街道 1 号")
    page.click("button:has-text('提交订单')")
    page.wait_for_url("**/orders/WS*/")
    order = Order.objects.get(buyer=consumer)
    page.click(f"a[href='/payments/pay/{order.no}/']")
    page.wait_for_selector("[data-due]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("button[data-method=sandbox]")
    page.wait_for_selector("#payment-state .state-waiting")
    page.screenshot(path=str(tmp_path / "checkout.png"))
    page.click("#go-pay")
    page.click("button[name=action][value=pay]")
    page.wait_for_url(f"{live_server.url}/orders/{order.no}/")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert ProviderNotification.objects.get().outcome == NotificationOutcome.APPLIED
    assert "已付款" in page.inner_text("main") or "待发货" in page.inner_text("main")
