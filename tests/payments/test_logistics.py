"""Convenience-store pickup through ECPay logistics (test merchant 2000132 with ECPay's
published logistics test HashKey / HashIV): the store map form and its CSP, the map reply
carrying our signed token, Express/Create signed with CheckMacValue MD5 (to a fake ECPay
that checks it), and the MD5-signed status notifications."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import pytest

from tests.orders.helpers import give, pay_offline
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderStatus, Shipment
from weishang.payments import checks, logistics
from weishang.payments import services as pay
from weishang.payments.ecpay import check_mac_value

pytestmark = pytest.mark.django_db
MERCHANT, HASH_KEY, HASH_IV = "2000132", "5294y06JbISpM5x9", "v77hoKGq4kWxNNIS"


def md5(params: dict, key=HASH_KEY, iv=HASH_IV) -> str:
    return check_mac_value(params, key, iv, digest=hashlib.md5)


class Answer:
    status_code = 200

    def __init__(self, text: str) -> None:
        self.text = text

    def raise_for_status(self) -> None:
        return None


class FakeLogistics:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def request(self, method, url, data=None, headers=None, timeout=None):
        assert (method, url) == ("POST", "https://logistics-stage.ecpay.com.tw/Express/Create")
        if data.get("CheckMacValue") != md5(data):
            return Answer("0|CheckMacValue Error")
        self.calls.append(dict(data))
        reply = {"MerchantID": MERCHANT, "MerchantTradeNo": data["MerchantTradeNo"], "RtnCode": "300",
                 "RtnMsg": "訂單處理中(已收到訂單資料)", "AllPayLogisticsID": "1718546",
                 "LogisticsType": "CVS", "LogisticsSubType": data["LogisticsSubType"],
                 "GoodsAmount": data["GoodsAmount"], "UpdateStatusDate": "2024/05/02 10:00:00",
                 "ReceiverName": data["ReceiverName"], "ReceiverCellPhone": data["ReceiverCellPhone"],
                 "CVSPaymentNo": "F0012345", "CVSValidationNo": "6789", "BookingNote": ""}
        reply["CheckMacValue"] = md5(reply)
        return Answer("1|" + urlencode(reply))


@pytest.fixture
def ecpay_cvs(settings):
    settings.ECPAY_LOGISTICS_MERCHANT_ID = MERCHANT
    settings.ECPAY_LOGISTICS_HASH_KEY, settings.ECPAY_LOGISTICS_HASH_IV = HASH_KEY, HASH_IV
    settings.ECPAY_LOGISTICS_SENDER_NAME, settings.ECPAY_LOGISTICS_SENDER_PHONE = "微商倉庫", "0911222333"
    settings.ECPAY_STAGE = "1"
    fake = FakeLogistics()
    logistics.logistics().http = fake
    return fake


@pytest.fixture
def tw_order(tree, factories, address):
    give(tree.mid, tree.sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                         address={**address, "phone": "+886912345678", "name": "陳小明"})
    Order.objects.filter(pk=order.pk).update(currency="TWD")
    return Order.objects.get(pk=order.pk)


def map_reply(order, **over) -> dict:
    return {"MerchantID": MERCHANT, "MerchantTradeNo": "", "LogisticsSubType": "UNIMARTC2C", "CVSStoreID": "131386",
            "CVSStoreName": "建盛門市", "CVSAddress": "台北市中正區重慶南路一段2號", "CVSTelephone": "02-23311234",
            "CVSOutSide": "0", "ExtraData": logistics.map_token(order.pk), **over}


def test_md5_check_mac_value_round_trip_and_tampering():
    params = {"MerchantID": MERCHANT, "AllPayLogisticsID": "1718546", "RtnCode": "2067", "RtnMsg": "消費者成功取件",
              "GoodsAmount": "128", "UpdateStatusDate": "2024/05/03 15:00:00"}
    mac = md5(params)
    assert len(mac) == 32 and mac == mac.upper()  # MD5, not the payments' SHA256
    assert mac != check_mac_value(params, HASH_KEY, HASH_IV)[:32]
    client = logistics.ECPayLogistics()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(client, "_keys", lambda: (HASH_KEY, HASH_IV))
        assert client.signed({**params, "CheckMacValue": mac})
        assert not client.signed({**params, "RtnCode": "3022", "CheckMacValue": mac})
        assert not client.signed({**params, "CheckMacValue": md5(params, key="0" * 16)})


def test_store_map_page_posts_to_ecpay_with_our_token_and_csp(ecpay_cvs, client, tw_order, factories):
    client.force_login(tw_order.buyer)
    assert "/payments/cvs/" in client.get(f"/orders/{tw_order.no}/").content.decode()
    r = client.get(f"/payments/cvs/{tw_order.no}/")
    assert r.status_code == 200
    forms = r.context["forms"]
    assert [f["params"]["LogisticsSubType"] for f in forms] == ["UNIMARTC2C", "FAMIC2C"]
    p = forms[0]["params"]
    assert forms[0]["url"] == "https://logistics-stage.ecpay.com.tw/Express/map"
    assert (p["MerchantID"], p["LogisticsType"], p["IsCollection"]) == (MERCHANT, "CVS", "N")
    assert p["ServerReplyURL"].endswith("/payments/cvs/reply/")
    assert logistics.order_id_from(p["ExtraData"]) == tw_order.pk
    assert 'action="https://logistics-stage.ecpay.com.tw/Express/map"' in r.content.decode()
    assert "form-action 'self' https://logistics-stage.ecpay.com.tw;" in r["Content-Security-Policy"]
    # Somebody else's order: not found.
    client.force_login(factories.user())
    assert client.get(f"/payments/cvs/{tw_order.no}/").status_code == 404


def test_map_reply_stores_the_pickup_store(ecpay_cvs, client, tw_order):
    r = client.post("/payments/cvs/reply/", map_reply(tw_order))  # cross-site: no session
    assert r.status_code == 302 and r["Location"] == f"/orders/{tw_order.no}/"
    tw_order.refresh_from_db()
    assert (tw_order.pickup_store_type, tw_order.pickup_store_id, tw_order.pickup_store_name) == \
        ("UNIMARTC2C", "131386", "建盛門市")
    assert tw_order.pickup_store_phone == "02-23311234"


@pytest.mark.parametrize("over", [
    {"ExtraData": "42"},  # not our signature: someone else's order id
    {"ExtraData": ""},
    {"CVSStoreID": ""},
    {"LogisticsSubType": "HILIFEC2C"},
    {"MerchantID": "9999999"},
])
def test_map_reply_not_ours_changes_nothing(ecpay_cvs, client, tw_order, over):
    r = client.post("/payments/cvs/reply/", map_reply(tw_order, **over), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert r.status_code == 400 and "門市" in r.content.decode()
    tw_order.refresh_from_db()
    assert tw_order.pickup_store_id == ""


def ship(tw_order, factories, ecpay_cvs) -> Shipment:
    assert logistics.logistics().http is ecpay_cvs
    pay.choose_pickup_store(logistics.map_token(tw_order.pk), map_reply(tw_order))
    pay_offline(tw_order, tw_order.buyer, tw_order.seller_agent.user)
    return pay.ship_to_store(Order.objects.get(pk=tw_order.pk), actor=factories.staff("warehouse"))


def test_shipping_creates_the_md5_signed_logistics_order(ecpay_cvs, tw_order, factories):
    shipment = ship(tw_order, factories, ecpay_cvs)
    [sent] = ecpay_cvs.calls
    assert sent["ReceiverStoreID"] == "131386" and sent["LogisticsSubType"] == "UNIMARTC2C"
    assert sent["ReceiverCellPhone"] == "0912345678" and sent["GoodsAmount"] == "128"
    assert sent["ServerReplyURL"].endswith("/payments/cvs/status/") and sent["IsCollection"] == "N"
    assert (shipment.logistics_id, shipment.tracking_no) == ("1718546", "F00123456789")
    assert Order.objects.get(pk=tw_order.pk).status == OrderStatus.SHIPPED


def status_form(**over) -> str:
    params = {"MerchantID": MERCHANT, "MerchantTradeNo": "L000000011A2B3C", "RtnCode": "2073",
              "RtnMsg": "商品配達買家取貨門市", "AllPayLogisticsID": "1718546", "GoodsAmount": "128",
              "UpdateStatusDate": "2024/05/03 10:00:00", "ReceiverName": "陳小明", "ReceiverPhone": "",
              "ReceiverCellPhone": "0912345678", "ReceiverEmail": "", "ReceiverAddress": "", "CVSPaymentNo": "F0012345",
              "CVSValidationNo": "6789", "BookingNote": "", **over}
    params["CheckMacValue"] = md5(params)
    return urlencode(params)


def notify(client, body: str):
    return client.post("/payments/cvs/status/", data=body, content_type="application/x-www-form-urlencoded")


def test_status_notifications_arrived_then_picked_up_receives_the_order(ecpay_cvs, client, tw_order, factories):
    ship(tw_order, factories, ecpay_cvs)
    r = notify(client, status_form())
    assert r.status_code == 200 and r.content == b"1|OK"
    assert Shipment.objects.get().logistics_status.startswith("2073")
    assert Order.objects.get(pk=tw_order.pk).status == OrderStatus.SHIPPED
    assert notify(client, status_form(RtnCode="2067", RtnMsg="消費者成功取件")).content == b"1|OK"
    assert Order.objects.get(pk=tw_order.pk).status == OrderStatus.RECEIVED
    # ECPay repeats until it reads 1|OK: no second effect.
    assert notify(client, status_form(RtnCode="2067", RtnMsg="消費者成功取件")).content == b"1|OK"


@pytest.mark.parametrize("body", [
    lambda: status_form(RtnCode="2067").replace("RtnCode=2067", "RtnCode=2068"),  # tampered after signing
    lambda: status_form().split("&CheckMacValue=")[0],
    lambda: status_form(MerchantID="3002607"),
])
def test_unproven_status_changes_nothing(ecpay_cvs, client, tw_order, factories, body):
    ship(tw_order, factories, ecpay_cvs)
    before = Shipment.objects.get().logistics_status
    r = notify(client, body())
    assert r.status_code == 400 and r.content.startswith(b"0|")
    assert Shipment.objects.get().logistics_status == before
    assert Order.objects.get(pk=tw_order.pk).status == OrderStatus.SHIPPED


def test_deployment_check_wants_the_logistics_keys(settings):
    settings.ECPAY_LOGISTICS_MERCHANT_ID = MERCHANT
    found = " ".join(e.msg for e in checks.online_providers())
    assert "ECPAY_LOGISTICS_HASH_KEY" in found and "ECPAY_LOGISTICS_SENDER_PHONE" in found
