"""LINE Pay v3: every outbound call goes to a fake LINE Pay that checks our request
signature exactly (its own HMAC-SHA256 over ChannelSecret + URI + body/query + nonce) and
answers with the documented response shapes. Only a successful Confirm answer pays."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from tests.orders.helpers import give
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import refunds
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderStatus
from weishang.payments import checks, notifications
from weishang.payments import services as pay
from weishang.payments.models import (
    NotificationOutcome,
    Payment,
    PaymentStatus,
    ProviderNotification,
    ProviderRefund,
    ProviderRefundStatus,
)

pytestmark = pytest.mark.django_db
CHANNEL_ID, SECRET = "1656000000", "a917ab6a2367b536f8e5a6e2977e06f4"
TID = 2019060112345678910  # 19 digits, as LINE Pay's transaction ids are


class Answer:
    def __init__(self, data: dict, status: int = 200) -> None:
        self.text, self.status_code = json.dumps(data), status

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            import requests

            raise requests.HTTPError(str(self.status_code))


class FakeLinePay:
    """LINE Pay's sandbox as far as we use it: refuses a request whose signature is not
    exactly Base64(HMAC-SHA256(secret, secret + uri + body|query + nonce))."""

    def __init__(self, amount: int = 128) -> None:
        self.calls: list[tuple[str, str, dict | None]] = []
        self.amount = amount
        self.confirm_code, self.paid_amount, self.check_code = "0000", amount, "0000"

    def request(self, method, url, headers=None, data=None, timeout=None):
        parts = urlsplit(url)
        assert parts.netloc == "sandbox-api-pay.line.me"
        payload = data.decode() if method == "POST" else parts.query
        nonce = headers["X-LINE-Authorization-Nonce"]
        expected = base64.b64encode(hmac.new(SECRET.encode(), f"{SECRET}{parts.path}{payload}{nonce}".encode(),
                                             hashlib.sha256).digest()).decode()
        if headers["X-LINE-ChannelId"] != CHANNEL_ID or headers["X-LINE-Authorization"] != expected:
            return Answer({"returnCode": "1106", "returnMessage": "Header information error."})
        body = json.loads(data) if data else None
        self.calls.append((method, parts.path + (f"?{parts.query}" if parts.query else ""), body))
        path = parts.path
        if path == "/v3/payments/request":
            return Answer({"returnCode": "0000", "returnMessage": "Success.", "info": {
                "paymentUrl": {"web": f"https://sandbox-web-pay.line.me/web/payment/wait?transactionReserveId=R{TID}",
                               "app": f"line://pay/payment/R{TID}"},
                "transactionId": TID, "paymentAccessToken": "187568751124"}})
        if path == f"/v3/payments/{TID}/confirm":
            if self.confirm_code != "0000":
                return Answer({"returnCode": self.confirm_code, "returnMessage": "Failed."})
            self.check_code = "0123"
            return Answer({"returnCode": "0000", "returnMessage": "Success.", "info": {
                "orderId": self.order_id, "transactionId": TID,
                "payInfo": [{"method": "CREDIT_CARD", "amount": self.paid_amount,
                             "maskedCreditCardNumber": "************1111"}]}})
        if path == f"/v3/payments/requests/{TID}/check":
            return Answer({"returnCode": self.check_code, "returnMessage": "..."})
        if path == "/v3/payments":
            return Answer({"returnCode": "0000", "returnMessage": "Success.", "info": [{
                "transactionId": TID, "transactionDate": "2024-05-01T12:00:00Z", "transactionType": "PAYMENT",
                "payInfo": [{"method": "BALANCE", "amount": self.paid_amount}], "productName": "x",
                "currency": "TWD", "orderId": self.order_id}]})
        if path == f"/v3/payments/{TID}/refund":
            return Answer({"returnCode": "0000", "returnMessage": "Success.",
                           "info": {"refundTransactionId": 2019060112345678911,
                                    "refundTransactionDate": "2024-05-02T09:00:00Z"}})
        raise AssertionError(f"unexpected call {method} {url}")


@pytest.fixture
def linepay(settings):
    settings.PAYMENTS_PROVIDERS = "linepay"
    settings.LINEPAY_CHANNEL_ID, settings.LINEPAY_CHANNEL_SECRET, settings.LINEPAY_SANDBOX = CHANNEL_ID, SECRET, "1"
    fake = FakeLinePay()
    notifications.online("linepay").http = fake
    return fake


def waiting(tree, factories, address, fake) -> Payment:
    give(tree.mid, tree.sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                         address=address)
    Order.objects.filter(pk=order.pk).update(currency="TWD")
    payment = pay.pay(order_no=order.no, user=consumer, method="linepay")
    assert payment.amount == Decimal("128.00") and payment.currency == "TWD"
    fake.order_id = payment.trade_no
    return payment


def state(payment):
    payment.refresh_from_db()
    return payment.status, Order.objects.get(pk=payment.order_id).status


def to_linepay(client, payment):
    client.force_login(payment.payer)
    r = client.get(f"/payments/checkout/{payment.pk}/")
    assert r.status_code == 200
    return r


def back(client, payment, tid=TID, order_id=None):
    return client.get("/payments/linepay/confirm/", {"transactionId": str(tid),
                                                     "orderId": order_id or payment.trade_no})


def test_request_is_signed_and_sends_the_payer_to_line_pay_once(linepay, client, tree, factories, address):
    payment = waiting(tree, factories, address, linepay)
    r = to_linepay(client, payment)
    assert r.context["go"].url.startswith("https://sandbox-web-pay.line.me/web/payment/wait")
    assert f'href="{r.context["go"].url}"' in r.content.decode()
    [(method, path, body)] = linepay.calls
    assert (method, path) == ("POST", "/v3/payments/request")
    assert body["amount"] == 128 and body["currency"] == "TWD" and body["orderId"] == payment.trade_no
    assert body["packages"][0]["amount"] == sum(p["price"] * p["quantity"] for p in body["packages"][0]["products"])
    assert body["redirectUrls"]["confirmUrl"].endswith("/payments/linepay/confirm/")
    assert body["redirectUrls"]["cancelUrl"].endswith(f"/payments/linepay/cancel/{payment.pk}/")
    payment.refresh_from_db()
    assert payment.provider_ref == str(TID)  # 19 digits, exact
    # Back on the checkout page: the same LINE Pay payment, no second request.
    to_linepay(client, payment)
    assert len(linepay.calls) == 1
    assert state(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)  # being sent to LINE Pay pays nothing


def test_only_a_successful_confirm_answer_pays_and_only_once(linepay, client, tree, factories, address):
    payment = waiting(tree, factories, address, linepay)
    to_linepay(client, payment)
    r = back(client, payment)
    assert r.status_code == 302 and r["Location"] == f"/payments/checkout/{payment.pk}/"
    assert linepay.calls[-1] == ("POST", f"/v3/payments/{TID}/confirm", {"amount": 128, "currency": "TWD"})
    assert state(payment) == (PaymentStatus.CONFIRMED, OrderStatus.PAID)
    assert ProviderNotification.objects.get().outcome == NotificationOutcome.APPLIED
    # The payer reloads the return address: no second confirm, no second effect.
    back(client, payment)
    assert [c[1] for c in linepay.calls].count(f"/v3/payments/{TID}/confirm") == 1
    assert drift() == [] and unbalanced_journals() == []


def test_a_signature_we_get_wrong_is_refused_by_line_pay(linepay, client, tree, factories, address, settings):
    # The fake checks our HMAC: with another secret our request fails, and the page says so.
    payment = waiting(tree, factories, address, linepay)
    settings.LINEPAY_CHANNEL_SECRET = "0" * 32
    notifications.online("linepay").http = linepay
    client.force_login(payment.payer)
    r = client.get(f"/payments/checkout/{payment.pk}/")
    assert r.status_code == 502 and r.context["go"] is None and linepay.calls == []


@pytest.mark.parametrize("tampered", [{"tid": TID + 1}, {"tid": ""}])
def test_a_return_for_another_transaction_changes_nothing(linepay, client, tree, factories, address, tampered):
    payment = waiting(tree, factories, address, linepay)
    to_linepay(client, payment)
    r = back(client, payment, **tampered)
    assert r.status_code == 400 and "不符" in r.content.decode()
    assert not any(c[1].endswith("/confirm") for c in linepay.calls)
    assert state(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)


def test_a_return_for_an_unknown_order_is_not_found(linepay, client, tree, factories, address):
    payment = waiting(tree, factories, address, linepay)
    to_linepay(client, payment)
    assert back(client, payment, order_id="NOPE_1").status_code == 404


def test_confirm_answer_with_another_amount_is_refused(linepay, client, tree, factories, address):
    payment = waiting(tree, factories, address, linepay)
    to_linepay(client, payment)
    linepay.paid_amount = 1
    back(client, payment)
    assert state(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)
    note = ProviderNotification.objects.get()
    assert note.outcome == NotificationOutcome.REFUSED and "amount 1 TWD, expected 128.00 TWD" in note.error


def test_refused_confirm_closes_the_payment_and_the_order_can_be_paid_again(linepay, client, tree, factories,
                                                                              address):
    payment = waiting(tree, factories, address, linepay)
    to_linepay(client, payment)
    linepay.confirm_code = "1110"  # card cannot be used
    r = back(client, payment)
    assert state(payment) == (PaymentStatus.REJECTED, OrderStatus.PENDING)
    assert "1110" in payment.reject_reason
    msgs = [str(m) for m in r.wsgi_request._messages]
    assert any("LINE Pay" in m and "1110" in m for m in msgs)
    again = pay.pay(order_no=payment.order.no, user=payment.payer, method="linepay")
    assert again.pk != payment.pk and again.trade_no != payment.trade_no


def test_duplicate_confirm_answer_leaves_the_payment_to_the_query(linepay, client, tree, factories, address):
    # A second confirm racing the first gets 1172 (record with this orderId exists): not a
    # failure; the pending-payment query then reads LINE Pay's status and settles it.
    payment = waiting(tree, factories, address, linepay)
    to_linepay(client, payment)
    linepay.confirm_code = "1172"
    back(client, payment)
    assert state(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)
    linepay.check_code = "0123"
    Payment.objects.filter(pk=payment.pk).update(created_at=payment.created_at.replace(year=2000))
    done = notifications.query_pending()
    assert done["paid"] == 1 and state(payment) == (PaymentStatus.CONFIRMED, OrderStatus.PAID)
    assert ("GET", f"/v3/payments?transactionId={TID}", None) in linepay.calls


def test_query_confirms_an_approved_payment_whose_payer_never_came_back(linepay, client, tree, factories, address):
    payment = waiting(tree, factories, address, linepay)
    to_linepay(client, payment)
    Payment.objects.filter(pk=payment.pk).update(created_at=payment.created_at.replace(year=2000))
    assert notifications.query_pending()["waiting"] == 1  # 0000: not approved yet
    linepay.check_code = "0110"  # approved at LINE Pay, not confirmed
    assert notifications.query_pending()["paid"] == 1
    assert state(payment) == (PaymentStatus.CONFIRMED, OrderStatus.PAID)


def test_cancel_at_line_pay_closes_the_payment(linepay, client, tree, factories, address):
    payment = waiting(tree, factories, address, linepay)
    to_linepay(client, payment)
    r = client.get(f"/payments/linepay/cancel/{payment.pk}/")
    assert r.status_code == 302
    assert state(payment) == (PaymentStatus.REJECTED, OrderStatus.PENDING)
    # A late return for the cancelled payment is never confirmed: LINE Pay takes nothing.
    back(client, payment)
    assert not any(c[1].endswith("/confirm") for c in linepay.calls)
    # Somebody else's payment cannot be cancelled.
    client.force_login(factories.user())
    assert client.get(f"/payments/linepay/cancel/{payment.pk}/").status_code == 404


def test_refund_goes_back_through_line_pay(linepay, client, tree, factories, address,
                                           django_capture_on_commit_callbacks):
    payment = waiting(tree, factories, address, linepay)
    to_linepay(client, payment)
    back(client, payment)
    with django_capture_on_commit_callbacks(execute=True):
        refunds.cancel_paid(Order.objects.get(pk=payment.order_id), actor=factories.staff("admin"), reason="缺货")
    assert linepay.calls[-1] == ("POST", f"/v3/payments/{TID}/refund", {"refundAmount": 128})
    pref = ProviderRefund.objects.get()
    assert pref.status == ProviderRefundStatus.SUCCEEDED and pref.provider_ref == "2019060112345678911"
    assert drift() == [] and unbalanced_journals() == []


def test_deployment_check_wants_the_channel(settings):
    settings.PAYMENTS_PROVIDERS = "linepay"
    found = [e.msg for e in checks.online_providers()]
    assert any("LINEPAY_CHANNEL_ID" in m for m in found) and any("LINEPAY_CHANNEL_SECRET" in m for m in found)
