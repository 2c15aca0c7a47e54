"""On a phone: the consumer asks for a refund on the order page, the shop agent approves
it on its refund list, the consumer sees the refund in the order history."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser import sign_in
from tests.orders.helpers import build_tree, give, pay_offline
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderStatus

ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
           "district_code": "110101", "detail": "东华门街道 1 号"}

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def login(browser, live_server, phone: str, nxt: str):
    page = sign_in(browser, live_server, phone, nxt)
    page.on("dialog", lambda d: d.accept())
    return page


def test_consumer_requests_and_shop_agent_approves_a_refund(browser, live_server, transactional_db):
    from weishang.accounts.roles import sync_hq_roles

    sync_hq_roles()
    t = build_tree(f)
    give(t.mid, t.sku, 5)
    t.mid.user.set_password(f.PASSWORD)
    t.mid.user.save()
    consumer = f.user(phone="+8613912340077")
    order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(t.sku.pk, 2)],
                                         address=ADDRESS)
    pay_offline(order, consumer, t.mid.user)

    page = login(browser, live_server, "139 1234 0077", f"/orders/{order.no}/")
    page.click("#refund summary")
    page.fill("#refund input[name=reason]", "瓶子破了")
    page.click("#refund button.btn-primary")
    page.wait_for_selector("#refund-request")
    assert "等待卖方处理" in page.inner_text("#refund-request")

    seller = login(browser, live_server, str(t.mid.user.phone), "/orders/refunds/")
    assert order.no in seller.inner_text("main") and "瓶子破了" in seller.inner_text("main")
    seller.click("button[name=decision][value=approve]")
    seller.wait_for_selector("text=没有等待你处理的退款申请")

    page.goto(f"{live_server.url}/orders/{order.no}/")
    text = page.inner_text("main")
    assert "已退款" in text and "瓶子破了" in text
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
