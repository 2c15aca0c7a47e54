"""On a phone (390x844): the consumer asks to return one unit with a photo, the shop agent
approves, the consumer enters the return tracking number, the HQ warehouse receives it,
and the consumer sees the refund; the stock is back and the earning reversed."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser import sign_in
from tests.orders.helpers import build_tree, give, pay_offline, qty
from weishang.earnings.models import Earning
from weishang.orders import services as orders
from weishang.orders.models import Order

ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
           "district_code": "110101", "detail": "东华门街道 1 号"}
PHONE = {"width": 390, "height": 844}
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def login(browser, live_server, phone: str, nxt: str):
    page = sign_in(browser, live_server, phone, nxt, viewport=PHONE)
    page.on("dialog", lambda d: d.accept())
    return page


def test_return_one_unit_with_a_photo(browser, live_server, transactional_db, tmp_path):
    from PIL import Image

    from weishang.accounts.roles import sync_hq_roles

    sync_hq_roles()
    t = build_tree(f)
    give(t.mid, t.sku, 5)
    f.staff("warehouse", phone="+8613912340088")
    consumer = f.user(phone="+8613912340077")
    order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(t.sku.pk, 2)],
                                         address=ADDRESS)
    pay_offline(order, consumer, t.mid.user)
    orders.ship(order, actor=t.hq_user, carrier="SF", tracking_no="SF0001")
    orders.confirm_received(order, actor=consumer)
    assert qty(t.mid, t.sku) == (3, 0)
    photo = tmp_path / "crack.png"
    Image.new("RGB", (32, 32), "red").save(photo)

    page = login(browser, live_server, "139 1234 0077", f"/orders/{order.no}/")
    page.click("#refund summary")
    page.check("#refund input[name=kind][value=lines]")
    line = order.lines.get()
    page.fill(f"#ret_{line.pk}", "1")
    page.fill("#refund input[name=reason]", "瓶子裂了")
    page.set_input_files("#id_photos", str(photo))
    page.click("#refund button.btn-primary")
    page.wait_for_selector("#refund-request img.proof")
    page.screenshot(path=str(tmp_path / "requested.png"))

    seller = login(browser, live_server, str(t.mid.user.phone), f"/orders/{order.no}/")
    seller.click("#refund-request button[name=decision][value=approve]")
    seller.wait_for_selector("#refund-request >> text=等待买家寄回")

    page.reload()
    page.fill("#ship-back input[name=carrier]", "顺丰")
    page.fill("#ship-back input[name=tracking_no]", "SF0001")  # the delivery parcel: refused
    page.click("#ship-back button")
    page.wait_for_selector(".msg-error")
    page.fill("#ship-back input[name=carrier]", "顺丰")
    page.fill("#ship-back input[name=tracking_no]", "SFBACK9")
    page.click("#ship-back button")
    page.wait_for_selector("#refund-request >> text=SFBACK9")

    hq = login(browser, live_server, "139 1234 0088", "/orders/aftersales/")
    assert order.no in hq.inner_text("main")
    hq.goto(f"{live_server.url}/orders/{order.no}/")
    hq.click("#receive-return button")
    hq.wait_for_selector(".msg-success")

    page.goto(f"{live_server.url}/orders/{order.no}/")
    text = page.inner_text("main")
    assert "已退款" in text and "瓶子裂了" in text
    page.screenshot(path=str(tmp_path / "refunded.png"), full_page=True)
    assert Order.objects.get(pk=order.pk).refunded_total == line.unit_price
    assert qty(t.mid, t.sku) == (4, 0)
    assert sum(e.reversed for e in Earning.objects.filter(order_ref=order.no)) > 0
