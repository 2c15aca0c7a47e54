"""Issue 12's end-to-end proof, on a phone (390x844): a consumer who followed an agent's
share link buys 2 units through the sandbox provider; the warehouse ships, the buyer
receives and asks to return one unit with a photo; the shop agent approves, the buyer
enters the return tracking number and the warehouse receives it. The buyer sees the
refund (which the sandbox's signed refund notification completes), the shop agent's
cloud stock is back by one and its earning for that unit is reversed on its earnings
page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests import factories as f
from tests.browser import sign_in
from tests.orders.helpers import build_tree, give, qty
from weishang.core.money import format_money
from weishang.earnings.models import Earning
from weishang.orders import sharing
from weishang.orders.models import Order, OrderStatus
from weishang.payments.models import NotificationOutcome, ProviderNotification, ProviderRefund, ProviderRefundStatus

PHONE = {"width": 390, "height": 844}
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def login(browser, live_server, phone: str, nxt: str):
    page = sign_in(browser, live_server, phone, nxt, viewport=PHONE)
    page.on("dialog", lambda d: d.accept())
    return page


def seller_net(t, order) -> Decimal:
    return sum((e.net for e in Earning.objects.filter(order_ref=order.no, agent=t.mid)), Decimal(0))


def test_buy_two_return_one_see_refund_stock_and_earning(browser, live_server, transactional_db, settings, tmp_path):
    from PIL import Image

    from weishang.accounts.roles import sync_hq_roles

    settings.PAYMENTS_PROVIDERS = "sandbox"
    sync_hq_roles()
    t = build_tree(f)
    give(t.mid, t.sku, 5)
    sharer = f.agent(t.levels[2], upline=t.top, name="分享者")
    f.staff("warehouse", phone="+8613912340088")
    consumer = f.user(phone="+8613912340077")
    photo = tmp_path / "crack.png"
    Image.new("RGB", (32, 32), "red").save(photo)

    # Buy 2 units through the share link, pay at the sandbox provider.
    page = login(browser, live_server, "139 1234 0077", sharing.shop_path(t.mid.pk, sharer.pk))
    for _ in range(2):
        with page.expect_response(lambda r: "/cart/add" in r.url):
            page.click("button:has-text('加入购物车')")
    page.goto(f"{live_server.url}/orders/shop/{t.mid.pk}/cart/")
    assert page.inner_text(f".cart-line[data-sku='{t.sku.pk}'] .qty-now") == "2"
    page.fill("input[name=name]", "张三")
    page.fill("input[name=phone]", "139 1234 0077")
    page.select_option("select[name=region_province]", "110000")
    page.wait_for_selector("select[name=region_city] option[value='110100']", state="attached")
    page.select_option("select[name=region_city]", "110100")
    page.wait_for_selector("select[name=region_district] option[value='110101']", state="attached")
    page.select_option("select[name=region_district]", "110101")
    page.fill("input[name=detail]", "东华门街道 1 号")
    page.click("button:has-text('提交订单')")
    page.wait_for_url("**/orders/WS*/")
    order = Order.objects.get(buyer=consumer)
    assert order.shared_by_id == sharer.pk and order.total == Decimal("256.00")
    page.click(f"a[href='/payments/pay/{order.no}/']")
    page.click("button[data-method=sandbox]")
    page.click("#go-pay")
    page.click("button[name=action][value=pay]")
    page.wait_for_url(f"{live_server.url}/orders/{order.no}/")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    before = seller_net(t, order)
    assert before > 0

    # The warehouse ships from the shop agent's cloud stock; the buyer receives.
    hq = login(browser, live_server, "139 1234 0088", "/orders/hq/picklist/")
    row = hq.locator("tr", has_text=order.no)
    row.locator("input[name=carrier]").fill("顺丰")
    row.locator("input[name=tracking_no]").fill("SF0001")
    row.locator("button:has-text('已发货')").click()
    hq.wait_for_selector(".msg-success")
    assert qty(t.mid, t.sku) == (3, 0)
    page.goto(f"{live_server.url}/orders/{order.no}/")
    page.click("button:has-text('确认收货')")
    page.wait_for_selector(".msg-success")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RECEIVED

    # Return one unit with a photo; the shop agent approves.
    page.click("#refund summary")
    page.check("#refund input[name=kind][value=lines]")
    line = order.lines.get()
    page.fill(f"#ret_{line.pk}", "1")
    page.fill("#refund input[name=reason]", "瓶子裂了")
    page.set_input_files("#id_photos", str(photo))
    page.click("#refund button.btn-primary")
    page.wait_for_selector("#refund-request img.proof")
    seller = login(browser, live_server, str(t.mid.user.phone), f"/orders/{order.no}/")
    seller.click("#refund-request button[name=decision][value=approve]")
    seller.wait_for_selector("#refund-request >> text=等待买家寄回")

    # The buyer sends it back; the warehouse receives it: refund through the sandbox.
    page.reload()
    page.fill("#ship-back input[name=carrier]", "顺丰")
    page.fill("#ship-back input[name=tracking_no]", "SFBACK9")
    page.click("#ship-back button")
    page.wait_for_selector("#refund-request >> text=SFBACK9")
    hq.goto(f"{live_server.url}/orders/{order.no}/")
    hq.click("#receive-return button")
    hq.wait_for_selector(".msg-success")

    # The buyer sees the refund; the sandbox's signed refund notification completed it.
    page.goto(f"{live_server.url}/orders/{order.no}/")
    text = page.inner_text("main")
    assert "已退款" in text and format_money(line.unit_price, order.currency) in text
    page.screenshot(path=str(tmp_path / "refunded.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pref = ProviderRefund.objects.get()
    assert pref.status == ProviderRefundStatus.SUCCEEDED and pref.amount == line.unit_price
    assert ProviderNotification.objects.filter(kind="refund", outcome=NotificationOutcome.APPLIED).count() == 1
    assert Order.objects.get(pk=order.pk).refunded_total == line.unit_price

    # The shop agent's cloud stock is back by one, its earning for that unit reversed.
    assert qty(t.mid, t.sku) == (4, 0)
    after = seller_net(t, order)
    assert after == before / 2
    seller.goto(f"{live_server.url}/earnings/")
    earn = seller.locator("tr", has_text=order.no).first.inner_text()
    assert format_money(after, order.currency) in earn and format_money(before, order.currency) not in earn
    seller.screenshot(path=str(tmp_path / "earnings.png"), full_page=True)
