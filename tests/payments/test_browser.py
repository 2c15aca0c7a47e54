"""On a phone (390x844): a consumer pays a shop order by offline transfer. The pay page
shows the shop agent's collection details and QR code (served by the permission-checked
view); after the proof upload the order reads 待确认收款 with a history entry."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from tests import factories as f
from tests.browser import sign_in
from tests.orders.helpers import build_tree, give, png
from weishang.orders import services as orders
from weishang.payments import services as pay
from weishang.payments.models import Payment

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
           "district_code": "110101", "detail": "东华门街道 1 号"}
PHONE_390 = {"width": 390, "height": 844}


def test_consumer_sees_payee_details_and_the_waiting_state(browser, live_server, transactional_db, tmp_path):
    from weishang.accounts.roles import sync_hq_roles

    sync_hq_roles()
    t = build_tree(f)
    give(t.mid, t.sku, 5)
    qr = io.BytesIO()
    Image.new("RGB", (240, 240), "green").save(qr, "PNG")
    from django.core.files.uploadedfile import SimpleUploadedFile

    pay.set_collection_details(user=t.mid.user, details="微信号 yiji-b\n户名 一级B",
                               qr=SimpleUploadedFile("qr.png", qr.getvalue(), content_type="image/png"))
    consumer = f.user(phone="+8613912340078")
    order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(t.sku.pk, 1)],
                                         address=ADDRESS)

    page = sign_in(browser, live_server, "139 1234 0078", f"/payments/pay/{order.no}/", viewport=PHONE_390)
    payee = page.inner_text("#payee")
    assert "一级B" in payee and "微信号 yiji-b" in payee
    page.wait_for_function("() => document.querySelector('#payee img.collection-qr').naturalWidth > 0")
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        page.screenshot(path=f"{shots}/pay-offline-390.png", full_page=True)

    proof = tmp_path / "转账截图.png"
    proof.write_bytes(png().read())
    page.set_input_files("#offline input[type=file]", str(proof))
    page.click("#offline button")
    page.wait_for_url(f"{live_server.url}/orders/{order.no}/")
    assert Payment.objects.filter(order=order, status="submitted").exists()
    text = page.inner_text("main")
    assert "待确认收款" in text and "等待一级B确认收款" in text
    assert "已提交转账凭证" in page.inner_text(".timeline")
    page.wait_for_function("() => document.querySelector('#waiting img.proof').naturalWidth > 0")
    if shots:
        page.screenshot(path=f"{shots}/order-waiting-390.png", full_page=True)
    page.context.close()
