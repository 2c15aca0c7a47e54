"""Online payments: real signed notifications (generated keys and a self-signed platform
certificate) through the notification endpoint and the SDKs' own verification code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.orders.helpers import give
from tests.payments import online_keys as k
from weishang.ledger.models import Account, AccountKind, Journal
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import refunds
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderStatus, RefundKind
from weishang.payments import notifications, online
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
SERIAL = 0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1


@dataclass
class Keys:
    platform: object
    merchant: object
    alipay: object
    app: object


@pytest.fixture
def keys(settings, tmp_path, monkeypatch) -> Keys:
    ks = Keys(platform=k.rsa_key(), merchant=k.rsa_key(), alipay=k.rsa_key(), app=k.rsa_key())
    certs = tmp_path / "wechatpay_certs"
    certs.mkdir()
    (certs / f"{format(SERIAL, 'X')}.pem").write_text(k.self_signed(ks.platform, SERIAL))
    (tmp_path / "apiclient_key.pem").write_text(k.private_pem(ks.merchant))
    (tmp_path / "apiv3.key").write_text(k.APIV3_KEY)
    (tmp_path / "alipay_app_key.pem").write_text(k.private_pem(ks.app))
    (tmp_path / "alipay_public.pem").write_text(k.public_pem(ks.alipay))
    settings.PAYMENTS_PROVIDERS = "sandbox,wechatpay,alipay"
    settings.WECHATPAY_MCHID, settings.WECHATPAY_APPID = k.MCHID, k.APPID
    settings.WECHATPAY_CERT_SERIAL_NO = "444F4864EA9B34415"
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(tmp_path / "apiclient_key.pem")
    settings.WECHATPAY_APIV3_KEY_PATH = str(tmp_path / "apiv3.key")
    settings.WECHATPAY_PLATFORM_CERT_DIR = str(certs)
    settings.ALIPAY_APPID = k.ALIPAY_APPID
    settings.ALIPAY_PRIVATE_KEY_PATH = str(tmp_path / "alipay_app_key.pem")
    settings.ALIPAY_PUBLIC_KEY_PATH = str(tmp_path / "alipay_public.pem")

    def no_network(*a, **kw):
        raise AssertionError("no outbound call may happen while verifying a notification")

    import wechatpayv3.core

    monkeypatch.setattr(wechatpayv3.core.requests, "get", no_network)
    monkeypatch.setattr(wechatpayv3.core.requests, "post", no_network)
    return ks


def bal(kind) -> Decimal:
    key = Account.make_key(kind, "CNY", None)
    return Account.objects.filter(key=key).values_list("balance", flat=True).first() or Decimal(0)


def waiting(tree, factories, address, method: str) -> Payment:
    give(tree.mid, tree.sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 2)],
                                         address=address)
    payment = pay.pay(order_no=order.no, user=consumer, method=method)
    assert payment.status == PaymentStatus.SUBMITTED and payment.trade_no
    return payment


def fen(payment: Payment) -> int:
    return int(payment.amount * 100)


def wechat_post(client, body: str, headers: dict):
    return client.post("/payments/notify/wechatpay/", data=body, content_type="application/json", **headers)


def paid_by_wechat(client, keys, payment, **kw):
    body = k.wechat_body(k.wechat_transaction(payment.trade_no, fen(payment)), "TRANSACTION.SUCCESS", **kw)
    return body, wechat_post(client, body, k.wechat_headers(body, keys.platform, SERIAL))


def status(payment) -> tuple[str, str]:
    payment.refresh_from_db()
    return payment.status, Order.objects.get(pk=payment.order_id).status


# --- WeChat Pay --------------------------------------------------------------------------------

def test_wechat_paid_notification_settles_once(client, keys, tree, factories, address):
    payment = waiting(tree, factories, address, "wechatpay")
    body, r = paid_by_wechat(client, keys, payment, event_id="EV-1")
    assert r.status_code == 204
    assert status(payment) == (PaymentStatus.CONFIRMED, OrderStatus.PAID)
    assert payment.provider_ref.startswith("4200")
    assert bal(AccountKind.PREPAID_FUNDING) == -payment.amount  # the money is in HQ's merchant account
    note = ProviderNotification.objects.get()
    assert note.verified and note.outcome == NotificationOutcome.APPLIED and note.event_id == "EV-1"
    # The provider retries the same event (replay): success, no effect.
    r = wechat_post(client, body, k.wechat_headers(body, keys.platform, SERIAL))
    assert r.status_code == 204
    assert ProviderNotification.objects.count() == 1
    assert Journal.objects.filter(key=f"order:pay:{payment.order.no}").count() == 1
    # A second event saying the same (new id): stored, no effect.
    _body, r = paid_by_wechat(client, keys, payment, event_id="EV-2")
    assert r.status_code == 204
    assert ProviderNotification.objects.get(event_id="EV-2").outcome == NotificationOutcome.IGNORED
    assert drift() == [] and unbalanced_journals() == []


def refused(r, payment, error: str, *, verified: bool):
    assert r.status_code == 400 and json.loads(r.content)["code"] == "FAIL"
    assert status(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)
    note = ProviderNotification.objects.order_by("-id").first()
    assert note.outcome == NotificationOutcome.REFUSED and note.verified is verified
    assert error in note.error, note.error
    assert not Journal.objects.filter(key=f"order:pay:{payment.order.no}").exists()


def test_wechat_tampered_body_is_refused(client, keys, tree, factories, address):
    payment = waiting(tree, factories, address, "wechatpay")
    body = k.wechat_body(k.wechat_transaction(payment.trade_no, fen(payment)), "TRANSACTION.SUCCESS")
    headers = k.wechat_headers(body, keys.platform, SERIAL)
    tampered = body.replace("T12:00:00", "T12:00:01")
    assert tampered != body
    refused(wechat_post(client, tampered, headers), payment, "bad signature", verified=False)


def test_wechat_wrong_signing_key_is_refused(client, keys, tree, factories, address):
    payment = waiting(tree, factories, address, "wechatpay")
    body = k.wechat_body(k.wechat_transaction(payment.trade_no, fen(payment)), "TRANSACTION.SUCCESS")
    refused(wechat_post(client, body, k.wechat_headers(body, k.rsa_key(), SERIAL)), payment, "bad signature",
            verified=False)


def test_wechat_unknown_certificate_is_refused_without_downloading(client, keys, tree, factories, address):
    payment = waiting(tree, factories, address, "wechatpay")
    other = k.rsa_key()
    body = k.wechat_body(k.wechat_transaction(payment.trade_no, fen(payment)), "TRANSACTION.SUCCESS")
    refused(wechat_post(client, body, k.wechat_headers(body, other, 0xABC)), payment, "unknown platform certificate",
            verified=False)


def test_wechat_resource_not_encrypted_with_our_apiv3_key_is_refused(client, keys, tree, factories, address):
    payment = waiting(tree, factories, address, "wechatpay")
    body = k.wechat_body(k.wechat_transaction(payment.trade_no, fen(payment)), "TRANSACTION.SUCCESS",
                         apiv3_key="X" * 32)
    refused(wechat_post(client, body, k.wechat_headers(body, keys.platform, SERIAL)), payment, "did not decrypt",
            verified=False)


def test_wechat_old_timestamp_is_a_replay(client, keys, tree, factories, address):
    import time

    payment = waiting(tree, factories, address, "wechatpay")
    body = k.wechat_body(k.wechat_transaction(payment.trade_no, fen(payment)), "TRANSACTION.SUCCESS")
    headers = k.wechat_headers(body, keys.platform, SERIAL, timestamp=int(time.time()) - 3600)
    refused(wechat_post(client, body, headers), payment, "replay", verified=False)


@pytest.mark.parametrize("change", ["amount", "currency", "merchant", "trade"])
def test_wechat_wrong_amount_currency_merchant_or_order_is_refused(client, keys, tree, factories, address, change):
    payment = waiting(tree, factories, address, "wechatpay")
    res = k.wechat_transaction(payment.trade_no, fen(payment))
    if change == "amount":
        res["amount"]["total"] = 1
    elif change == "currency":
        res["amount"]["currency"] = "USD"
    elif change == "merchant":
        res["mchid"] = "1900000999"
    else:
        res["out_trade_no"] = "WS260101_NOTOURS_1"
    body = k.wechat_body(res, "TRANSACTION.SUCCESS")
    error = {"amount": "expected", "currency": "expected", "merchant": "not ours", "trade": "unknown trade"}[change]
    refused(wechat_post(client, body, k.wechat_headers(body, keys.platform, SERIAL)), payment, error,
            verified=change != "merchant")


def test_wechat_refund_goes_back_through_the_provider(client, keys, tree, factories, address, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    payment = waiting(tree, factories, address, "wechatpay")
    paid_by_wechat(client, keys, payment)
    sent = []
    provider = notifications.online("wechatpay")
    monkeypatch.setattr(provider.client(), "refund", lambda **kw: (sent.append(kw), (200, '{"status":"PROCESSING"}'))[1])
    order = Order.objects.get(pk=payment.order_id)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refunds.cancel_paid(order, actor=factories.staff("admin"), reason="缺货")
    pref = ProviderRefund.objects.get()
    assert pref.refund == refund and pref.status == ProviderRefundStatus.PENDING and pref.amount == payment.amount
    assert sent == [{"out_refund_no": pref.refund_no, "out_trade_no": payment.trade_no,
                     "amount": {"refund": fen(payment), "total": fen(payment), "currency": "CNY"}}]
    assert bal(AccountKind.REFUND_CLEARING) == payment.amount  # owed to the buyer until the provider says done
    # Out of order: a refund notification for a refund we never asked for changes nothing.
    body = k.wechat_body(k.wechat_refund(payment.trade_no, "NOT_OURS_R1", fen(payment), fen(payment)),
                         "REFUND.SUCCESS", original_type="refund")
    r = wechat_post(client, body, k.wechat_headers(body, keys.platform, SERIAL))
    assert r.status_code == 400 and "unknown refund" in ProviderNotification.objects.first().error
    # A refund notification with the wrong amount changes nothing.
    body = k.wechat_body(k.wechat_refund(payment.trade_no, pref.refund_no, 1, fen(payment)), "REFUND.SUCCESS",
                         original_type="refund")
    assert wechat_post(client, body, k.wechat_headers(body, keys.platform, SERIAL)).status_code == 400
    pref.refresh_from_db()
    assert pref.status == ProviderRefundStatus.PENDING
    # The real one.
    body = k.wechat_body(k.wechat_refund(payment.trade_no, pref.refund_no, fen(payment), fen(payment)),
                         "REFUND.SUCCESS", original_type="refund")
    assert wechat_post(client, body, k.wechat_headers(body, keys.platform, SERIAL)).status_code == 204
    pref.refresh_from_db()
    assert pref.status == ProviderRefundStatus.SUCCEEDED and pref.provider_ref.startswith("5030")
    assert bal(AccountKind.REFUND_CLEARING) == 0 and bal(AccountKind.PREPAID_FUNDING) == 0
    # Out of order: a late "paid" event after the refund has no effect.
    _b, r = paid_by_wechat(client, keys, payment)
    assert r.status_code == 204 and ProviderNotification.objects.first().outcome == NotificationOutcome.IGNORED
    assert status(payment) == (PaymentStatus.CONFIRMED, OrderStatus.CANCELLED)
    assert drift() == [] and unbalanced_journals() == []


def test_wechat_failed_refund_stays_in_clearing_for_review(client, keys, tree, factories, address, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    payment = waiting(tree, factories, address, "wechatpay")
    paid_by_wechat(client, keys, payment)
    monkeypatch.setattr(notifications.online("wechatpay").client(), "refund",
                        lambda **kw: (200, '{"status":"PROCESSING"}'))
    with django_capture_on_commit_callbacks(execute=True):
        refunds.cancel_paid(Order.objects.get(pk=payment.order_id), actor=factories.staff("admin"), reason="x")
    pref = ProviderRefund.objects.get()
    body = k.wechat_body(k.wechat_refund(payment.trade_no, pref.refund_no, fen(payment), fen(payment),
                                         status="ABNORMAL"), "REFUND.ABNORMAL", original_type="refund")
    assert wechat_post(client, body, k.wechat_headers(body, keys.platform, SERIAL)).status_code == 204
    pref.refresh_from_db()
    assert pref.status == ProviderRefundStatus.FAILED
    assert ProviderNotification.objects.first().outcome == NotificationOutcome.REVIEW
    assert bal(AccountKind.REFUND_CLEARING) == payment.amount


# --- Alipay ------------------------------------------------------------------------------------

def alipay_post(client, params: dict):
    return client.post("/payments/notify/alipay/", data=k.form(params),
                       content_type="application/x-www-form-urlencoded")


def test_alipay_paid_notification_settles_and_replay_has_no_effect(client, keys, tree, factories, address):
    payment = waiting(tree, factories, address, "alipay")
    params = k.alipay_notification(payment.trade_no, str(payment.amount), keys.alipay)
    r = alipay_post(client, params)
    assert r.content == b"success"
    assert status(payment) == (PaymentStatus.CONFIRMED, OrderStatus.PAID)
    assert alipay_post(client, params).content == b"success"  # the same notify_id again
    assert ProviderNotification.objects.count() == 1
    assert Journal.objects.filter(key=f"order:pay:{payment.order.no}").count() == 1


@pytest.mark.parametrize("change", ["tampered", "wrong_key", "amount", "app", "unsigned"])
def test_alipay_bad_notifications_are_refused(client, keys, tree, factories, address, change):
    payment = waiting(tree, factories, address, "alipay")
    signer = k.rsa_key() if change == "wrong_key" else keys.alipay
    params = k.alipay_notification(payment.trade_no, "1.00" if change == "amount" else str(payment.amount), signer,
                                   app_id="2021000000009999" if change == "app" else k.ALIPAY_APPID)
    if change == "tampered":
        params["total_amount"] = "0.01"
    if change == "unsigned":
        del params["sign"]
    r = alipay_post(client, params)
    assert r.content == b"fail"
    assert status(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)
    note = ProviderNotification.objects.get()
    assert note.outcome == NotificationOutcome.REFUSED and note.verified is (change == "amount")


def test_alipay_refund_answer_and_its_notification(client, keys, tree, factories, address, monkeypatch,
                                                   django_capture_on_commit_callbacks):
    payment = waiting(tree, factories, address, "alipay")
    alipay_post(client, k.alipay_notification(payment.trade_no, str(payment.amount), keys.alipay))
    provider = notifications.online("alipay")
    monkeypatch.setattr(provider.client(), "api_alipay_trade_refund",
                        lambda **kw: {"code": "10000", "msg": "Success", "fund_change": "Y",
                                      "refund_fee": kw["refund_amount"], "trade_no": "2026X"})
    order = Order.objects.get(pk=payment.order_id)
    req = refunds.request_refund(order, user=payment.payer, kind=RefundKind.AMOUNT, amount="10.00", reason="少发")
    with django_capture_on_commit_callbacks(execute=True):
        refunds.decide_refund(req.pk, actor=tree.mid.user, approve=True)
    pref = ProviderRefund.objects.get()
    assert pref.status == ProviderRefundStatus.SUCCEEDED and pref.amount == Decimal("10.00")
    assert bal(AccountKind.REFUND_CLEARING) == 0
    # The asynchronous notification of that partial refund: refunded total 10.00, no effect.
    r = alipay_post(client, k.alipay_notification(payment.trade_no, str(payment.amount), keys.alipay,
                                                  out_biz_no=pref.refund_no, refund_fee="10.00"))
    assert r.content == b"success"
    assert ProviderNotification.objects.first().outcome == NotificationOutcome.IGNORED
    assert drift() == [] and unbalanced_journals() == []


# --- sandbox, the pending job, switching methods, bad input ---------------------------------------

def test_sandbox_notification_is_verified_like_a_real_one(client, keys, tree, factories, address):
    payment = waiting(tree, factories, address, "sandbox")
    provider = notifications.online("sandbox")
    headers, raw = provider.event("TRANSACTION.SUCCESS", payment)
    meta = {f"HTTP_{h.upper().replace('-', '_')}": v for h, v in headers.items()}
    forged = raw.replace(str(payment.amount).encode(), b"0.01")
    r = client.post("/payments/notify/sandbox/", data=forged, content_type="application/json", **meta)
    assert r.status_code == 400 and status(payment) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)
    r = client.post("/payments/notify/sandbox/", data=raw, content_type="application/json", **meta)
    assert r.status_code == 200 and status(payment) == (PaymentStatus.CONFIRMED, OrderStatus.PAID)


def test_sandbox_failure_lets_the_consumer_pay_again(client, keys, tree, factories, address):
    payment = waiting(tree, factories, address, "sandbox")
    client.force_login(payment.payer)
    r = client.post(f"/payments/sandbox/{payment.trade_no}/", {"action": "fail"})
    assert r.status_code == 302
    assert status(payment) == (PaymentStatus.REJECTED, OrderStatus.PENDING)
    again = pay.pay(order_no=payment.order.no, user=payment.payer, method="sandbox")
    assert again.pk != payment.pk
    client.post(f"/payments/sandbox/{again.trade_no}/", {"action": "pay"})
    assert status(again) == (PaymentStatus.CONFIRMED, OrderStatus.PAID)
    # The closed one cannot be paid any more.
    client.post(f"/payments/sandbox/{payment.trade_no}/", {"action": "pay"})
    assert status(payment)[0] == PaymentStatus.REJECTED


def test_switching_method_closes_the_waiting_online_payment(keys, tree, factories, address, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    payment = waiting(tree, factories, address, "wechatpay")
    closed = []
    monkeypatch.setattr(online.WeChatPayProvider, "close", lambda self, p: closed.append(p.trade_no))
    assert pay.pay(order_no=payment.order.no, user=payment.payer, method="wechatpay").pk == payment.pk
    with django_capture_on_commit_callbacks(execute=True):
        other = pay.pay(order_no=payment.order.no, user=payment.payer, method="alipay")
    assert other.pk != payment.pk and closed == [payment.trade_no]
    assert status(payment)[0] == PaymentStatus.REJECTED


def test_late_payment_for_a_closed_payment_is_kept_for_review(client, keys, tree, factories, address, monkeypatch):
    payment = waiting(tree, factories, address, "wechatpay")
    monkeypatch.setattr(online.WeChatPayProvider, "close", lambda self, p: None)
    pay.pay(order_no=payment.order.no, user=payment.payer, method="alipay")
    _b, r = paid_by_wechat(client, keys, payment)
    assert r.status_code == 204  # acknowledged: the money is real
    assert ProviderNotification.objects.get().outcome == NotificationOutcome.REVIEW
    assert status(payment) == (PaymentStatus.REJECTED, OrderStatus.PENDING)


def test_pending_job_asks_the_provider_then_closes_overdue_payments(keys, tree, factories, address, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    paid = waiting(tree, factories, address, "wechatpay")
    lost = waiting(tree, factories, address, "sandbox")
    later = timezone.now() + timedelta(minutes=10)
    answer = online.Notice(kind="payment", event_id=f"query:{paid.trade_no}:SUCCESS", trade_no=paid.trade_no,
                           succeeded=True, final=True, amount=paid.amount, currency="CNY", provider_ref="4200Q",
                           detail="SUCCESS")
    monkeypatch.setattr(online.WeChatPayProvider, "query", lambda self, p: answer)
    assert notifications.query_pending(now=later)["paid"] == 1
    assert status(paid) == (PaymentStatus.CONFIRMED, OrderStatus.PAID)
    assert status(lost) == (PaymentStatus.SUBMITTED, OrderStatus.PENDING)  # not overdue yet
    overdue = timezone.now() + timedelta(hours=2)
    assert notifications.query_pending(now=overdue)["closed"] == 1
    assert status(lost)[0] == PaymentStatus.REJECTED
    assert orders.expire_unpaid(now=overdue) == 1  # and the order's auto-cancel now runs
    assert status(lost)[1] == OrderStatus.CANCELLED


def test_bad_requests_to_the_notification_endpoint(client, keys):
    assert client.get("/payments/notify/wechatpay/").status_code == 405
    assert client.post("/payments/notify/paypal/", data="{}", content_type="application/json").status_code == 404
    r = client.post("/payments/notify/wechatpay/", data="{}", content_type="application/json")
    assert r.status_code == 400 and ProviderNotification.objects.get().error.startswith("Wechatpay-* signature")
    r = client.post("/payments/notify/alipay/", data="%%%", content_type="application/x-www-form-urlencoded")
    assert r.content == b"fail"


def test_pay_page_offers_the_configured_providers(client, keys, tree, factories, address, settings):
    payment = waiting(tree, factories, address, "sandbox")
    client.force_login(payment.payer)
    page = client.get(f"/payments/pay/{payment.order.no}/").content.decode()
    for code in ("sandbox", "wechatpay", "alipay"):
        assert f'data-method="{code}"' in page
    assert "data-due=" in page
    settings.PAYMENTS_PROVIDERS = "alipay"
    page = client.get(f"/payments/pay/{payment.order.no}/").content.decode()
    assert 'data-method="alipay"' in page and 'data-method="wechatpay"' not in page
