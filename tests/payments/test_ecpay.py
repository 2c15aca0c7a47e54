"""ECPay (綠界): CheckMacValue against ECPay's published example, the signed checkout form,
and signed ReturnURL notifications through the notification endpoint (test merchant
3002607 with ECPay's published test HashKey / HashIV)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

import pytest

from tests.orders.helpers import give
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderStatus
from weishang.payments import checks, notifications
from weishang.payments import services as pay
from weishang.payments.ecpay import check_mac_value
from weishang.payments.models import NotificationOutcome, Payment, PaymentStatus, ProviderNotification

pytestmark = pytest.mark.django_db
MERCHANT, HASH_KEY, HASH_IV = "3002607", "pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs"


def test_check_mac_value_matches_ecpays_documented_example():
    # ECPay developer docs, "檢查碼機制" example for AioCheckOut with the test merchant.
    params = {"ChoosePayment": "ALL", "EncryptType": "1", "ItemName": "Apple iphone 15", "MerchantID": "3002607",
              "MerchantTradeDate": "2023/03/12 15:30:23", "MerchantTradeNo": "ecpay20230312153023",
              "PaymentType": "aio", "ReturnURL": "https://www.ecpay.com.tw/receive.php", "TotalAmount": "30000",
              "TradeDesc": "促銷方案"}
    assert check_mac_value(params, HASH_KEY, HASH_IV) == \
        "6C51C9E6888DE861FD62FB1DD17029FC742634498FD813DC43D4243B5685B840"
    # Order of keys and an existing CheckMacValue do not matter; any changed value does.
    shuffled = dict(reversed(list(params.items())), CheckMacValue="X")
    assert check_mac_value(shuffled, HASH_KEY, HASH_IV) == check_mac_value(params, HASH_KEY, HASH_IV)
    assert check_mac_value({**params, "TotalAmount": "30001"}, HASH_KEY, HASH_IV) != \
        check_mac_value(params, HASH_KEY, HASH_IV)


@pytest.fixture
def ecpay(settings):
    settings.PAYMENTS_PROVIDERS = "ecpay"
    settings.ECPAY_MERCHANT_ID, settings.ECPAY_HASH_KEY, settings.ECPAY_HASH_IV = MERCHANT, HASH_KEY, HASH_IV
    settings.ECPAY_STAGE = "1"
    return settings


def waiting(tree, factories, address) -> Payment:
    """A Taiwan shop order (TWD) waiting for its ECPay payment (total 128.00)."""
    give(tree.mid, tree.sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                         address=address)
    Order.objects.filter(pk=order.pk).update(currency="TWD")
    payment = pay.pay(order_no=order.no, user=consumer, method="ecpay")
    assert payment.currency == "TWD" and payment.amount == Decimal("128.00")
    assert len(payment.trade_no) <= 20 and payment.trade_no.isalnum()
    return payment


def return_url_form(payment: Payment, *, amount: str | None = None, key=HASH_KEY, iv=HASH_IV, **over) -> str:
    params = {"MerchantID": MERCHANT, "MerchantTradeNo": payment.trade_no, "StoreID": "", "RtnCode": "1",
              "RtnMsg": "交易成功", "TradeNo": "2405011200001234", "TradeAmt": amount or str(int(payment.amount)),
              "PaymentDate": "2024/05/01 12:00:30", "PaymentType": "Credit_CreditCard",
              "PaymentTypeChargeFee": "25", "TradeDate": "2024/05/01 11:59:00", "SimulatePaid": "0",
              "CustomField1": "", "CustomField2": "", "CustomField3": "", "CustomField4": "", **over}
    params["CheckMacValue"] = check_mac_value(params, key, iv)
    return urlencode(params)


def notify(client, body: str):
    return client.post("/payments/notify/ecpay/", data=body, content_type="application/x-www-form-urlencoded")


def state(payment):
    payment.refresh_from_db()
    return payment.status, Order.objects.get(pk=payment.order_id).status


def test_checkout_is_a_signed_form_with_whole_dollars(ecpay, client, tree, factories, address):
    payment = waiting(tree, factories, address)
    client.force_login(payment.payer)
    r = client.get(f"/payments/checkout/{payment.pk}/")
    assert r.status_code == 200
    go = r.context["go"]
    assert go.url == "https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5"
    assert go.post["TotalAmount"] == "128" and go.post["MerchantTradeNo"] == payment.trade_no
    assert go.post["CheckMacValue"] == check_mac_value(go.post, HASH_KEY, HASH_IV)
    assert go.post["ReturnURL"].endswith("/payments/notify/ecpay/")
    html = r.content.decode()
    assert 'action="https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5"' in html
    assert f'name="CheckMacValue" value="{go.post["CheckMacValue"]}"' in html
    # The CSP lets this page's form post to ECPay's gateway (and only there, beside our origin).
    assert "form-action 'self' https://payment-stage.ecpay.com.tw;" in r["Content-Security-Policy"]


def test_checkout_refuses_cents(ecpay, client, tree, factories, address):
    payment = waiting(tree, factories, address)
    Payment.objects.filter(pk=payment.pk).update(amount=Decimal("128.50"))
    client.force_login(payment.payer)
    r = client.get(f"/payments/checkout/{payment.pk}/")
    assert r.status_code == 502 and "新台币" in r.content.decode()
    assert r.context["go"] is None


def test_paid_notification_settles_once(ecpay, client, tree, factories, address):
    payment = waiting(tree, factories, address)
    body = return_url_form(payment)
    r = notify(client, body)
    assert r.status_code == 200 and r.content == b"1|OK"
    assert state(payment) == (PaymentStatus.CONFIRMED, OrderStatus.PAID)
    assert payment.provider_ref == "2405011200001234"
    # ECPay retries until it reads 1|OK: the same notification has no second effect.
    assert notify(client, body).content == b"1|OK"
    assert ProviderNotification.objects.count() == 1
    assert drift() == [] and unbalanced_journals() == []


@pytest.mark.parametrize(("body", "error"), [
    (lambda p: return_url_form(p).replace("TradeAmt=128", "TradeAmt=12"), "bad CheckMacValue"),  # tampered
    (lambda p: return_url_form(p, key="0000000000000000"), "bad CheckMacValue"),  # another merchant's key
    (lambda p: return_url_form(p).split("&CheckMacValue=")[0], "CheckMacValue missing"),
    (lambda p: return_url_form(p, MerchantID="2000132"), "not ours"),
    (lambda p: return_url_form(p, amount="127"), "amount 127 TWD, expected 128.00 TWD"),  # signed, wrong amount
    (lambda p: return_url_form(p, MerchantTradeNo="WS99999999ABCDEF"), "unknown trade"),
    (lambda p: "%%%", "not a form"),
])
def test_unproven_or_wrong_notifications_change_nothing(ecpay, client, tree, factories, address, body, error):
    payment = waiting(tree, factories, address)
    r = notify(client, body(payment))
    assert r.content.startswith(b"0|")
    assert state(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)
    note = ProviderNotification.objects.get()
    assert note.outcome == NotificationOutcome.REFUSED and error in note.error, note.error


def test_simulated_payment_is_not_money_in_production(ecpay, client, tree, factories, address):
    ecpay.ECPAY_STAGE = "0"
    payment = waiting(tree, factories, address)
    assert notify(client, return_url_form(payment, SimulatePaid="1")).content == b"1|OK"
    assert state(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)
    assert ProviderNotification.objects.get().outcome == NotificationOutcome.IGNORED


def test_not_paid_result_does_not_settle(ecpay, client, tree, factories, address):
    payment = waiting(tree, factories, address)
    assert notify(client, return_url_form(payment, RtnCode="10100058", RtnMsg="付款失敗")).content == b"1|OK"
    assert state(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)


def test_deployment_check_wants_the_keys(settings):
    settings.PAYMENTS_PROVIDERS = "ecpay"
    settings.ECPAY_MERCHANT_ID = MERCHANT
    found = [e.msg for e in checks.online_providers()]
    assert any("ECPAY_HASH_KEY" in m for m in found) and any("ECPAY_HASH_IV" in m for m in found)
    assert notifications.online("ecpay") is not None
