"""LINE Pay (Online API v3) for Taiwan brands, TWD.

LINE Pay sends no signed notification: the payer approves at LINE Pay and comes back to
our confirmUrl with transactionId and orderId in the query string, which anyone could
type. So that redirect proves nothing; it only makes us call the Confirm API (server to
server, signed by us), and only LINE Pay's answer to that call ("0000", for our order,
the amount we asked) becomes a `Notice` and marks the payment paid. Money moves only on
our confirm: a payment we closed (replaced, cancelled) is never confirmed, so LINE Pay's
authorisation lapses and nothing is taken.

Every request is signed: X-LINE-Authorization = Base64(HMAC-SHA256(ChannelSecret,
ChannelSecret + URI + body (POST) or query string (GET) + nonce)). All outbound calls go
through `self.http` (a requests.Session); tests put a fake there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

from . import conf
from .models import Payment, ProviderRefund
from .online import Checkout, HttpSession, Notice, OnlineProvider, ProviderUnavailable

API = "https://api-pay.line.me"
SANDBOX_API = "https://sandbox-api-pay.line.me"
# Confirm answers that say "not now" rather than "no": another confirm of the same
# transaction is running or already went through (1145 payment in progress, 1172 a record
# with this orderId exists, 1198 API called repeatedly). They leave the payment waiting;
# the pending-payment query settles it from LINE Pay's own status.
NOT_FINAL = ("1145", "1172", "1198")


def signature(secret: str, uri: str, payload: str, nonce: str) -> str:
    message = f"{secret}{uri}{payload}{nonce}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def is_sandbox() -> bool:
    return conf.get("LINEPAY_SANDBOX", "0").lower() in ("1", "true", "yes")


class LinePayProvider(HttpSession, OnlineProvider):
    code = "linepay"
    label = _("LINE Pay")

    @property
    def channel_id(self) -> str:
        return conf.get("LINEPAY_CHANNEL_ID")

    def api(self) -> str:
        return SANDBOX_API if is_sandbox() else API

    def _call(self, method: str, uri: str, body: dict | None = None, query: str = "") -> dict:
        """One signed call; LINE Pay's JSON answer (any returnCode), or ProviderUnavailable."""
        import requests

        secret = conf.secret("LINEPAY_CHANNEL_SECRET").strip()
        nonce = str(uuid.uuid4())
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False) if body is not None else ""
        headers = {"Content-Type": "application/json", "X-LINE-ChannelId": self.channel_id,
                   "X-LINE-Authorization-Nonce": nonce,
                   "X-LINE-Authorization": signature(secret, uri, payload if method == "POST" else query, nonce)}
        url = f"{self.api()}{uri}" + (f"?{query}" if query else "")
        try:
            r = self.http.request(method, url, headers=headers, data=payload.encode() if payload else None,
                                  timeout=(5, 20))
            r.raise_for_status()
            # transactionId is a 19-digit number: parsed as an int it stays exact in Python.
            data = json.loads(r.text)
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"{method} {uri}: {exc}") from None
        if not isinstance(data, dict) or "returnCode" not in data:
            raise ProviderUnavailable(f"{method} {uri}: unexpected answer {str(data)[:200]}")
        return data

    @staticmethod
    def whole_dollars(amount: Any, currency: str) -> int:
        amount = Decimal(amount)
        if currency != "TWD" or amount != amount.to_integral_value() or amount <= 0:
            raise DomainError(_("LINE Pay takes whole New Taiwan dollars only."), code="invalid_amount")
        return int(amount)

    def checkout(self, payment: Payment, *, return_url: str, user_agent: str, client_ip: str) -> Checkout:
        """The Request API, once per payment: its transactionId and paymentUrl are kept, so
        coming back to the checkout page sends the payer to the same LINE Pay payment."""
        if payment.provider_ref and payment.checkout_url:
            return Checkout(url=payment.checkout_url)
        amount = self.whole_dollars(payment.amount, payment.currency)
        site = conf.get("SITE_URL")
        name = str(_("Order %(no)s") % {"no": payment.order.no})
        body = {"amount": amount, "currency": payment.currency, "orderId": payment.trade_no,
                "packages": [{"id": payment.order.no, "amount": amount,
                              "products": [{"name": name, "quantity": 1, "price": amount}]}],
                "redirectUrls": {"confirmUrl": f"{site}{reverse('payments:linepay_confirm')}",
                                 "cancelUrl": f"{site}{reverse('payments:linepay_cancel', args=[payment.pk])}"}}
        data = self._call("POST", "/v3/payments/request", body)
        if data["returnCode"] != "0000":
            raise ProviderUnavailable(f"request {payment.trade_no}: {data['returnCode']} {data.get('returnMessage')}")
        info = data.get("info") or {}
        url = (info.get("paymentUrl") or {}).get("web", "")
        if not url or not info.get("transactionId"):
            raise ProviderUnavailable(f"request {payment.trade_no}: no paymentUrl/transactionId in {data}")
        payment.provider_ref, payment.checkout_url = str(info["transactionId"]), url
        Payment.objects.filter(pk=payment.pk).update(provider_ref=payment.provider_ref, checkout_url=url)
        return Checkout(url=url)

    def confirm(self, payment: Payment) -> Notice:
        """The Confirm API for the transaction our Request API got; its answer as a Notice."""
        tid = payment.provider_ref
        amount = self.whole_dollars(payment.amount, payment.currency)
        data = self._call("POST", f"/v3/payments/{tid}/confirm", {"amount": amount, "currency": payment.currency})
        code = str(data["returnCode"])
        info = data.get("info") or {}
        event_id = f"confirm:{tid}:{code}"
        if code != "0000":
            return Notice(kind="payment", event_id=event_id, trade_no=payment.trade_no, succeeded=False,
                          final=code not in NOT_FINAL, amount=payment.amount, currency=payment.currency,
                          detail=f"{code} {data.get('returnMessage', '')}".strip())
        if str(info.get("orderId")) != payment.trade_no or str(info.get("transactionId")) != tid:
            raise ProviderUnavailable(f"confirm {tid}: answer is for {info.get('orderId')}/{info.get('transactionId')}")
        return self._paid(info, event_id=event_id, trade_no=payment.trade_no, currency=payment.currency)

    def _paid(self, info: dict, *, event_id: str, trade_no: str, currency: str) -> Notice:
        # The confirm answer carries the amounts paid (payInfo, per method) but no currency:
        # LINE Pay refuses a confirm whose currency differs from the request's (so it is ours).
        try:
            paid = sum((Decimal(str(p["amount"])) for p in info.get("payInfo") or []), Decimal(0))
        except (KeyError, TypeError, ArithmeticError):
            raise ProviderUnavailable(f"{event_id}: payInfo unreadable {info.get('payInfo')}") from None
        return Notice(kind="payment", event_id=event_id, trade_no=trade_no, succeeded=True, final=True,
                      amount=paid, currency=str(info.get("currency") or currency),
                      provider_ref=str(info.get("transactionId", "")), detail="0000")

    def verify(self, headers: dict, body: bytes) -> Notice:
        from .online import NotVerified

        raise NotVerified("LINE Pay sends no notifications: payments are confirmed by our Confirm API call")

    def query(self, payment: Payment) -> Notice | None:
        """Check API: 0000 not approved yet; 0110 approved, not confirmed (we confirm now);
        0121 cancelled or expired, 0122 failed; 0123 confirmed (the answer was lost: the
        payment details say how much)."""
        tid = payment.provider_ref
        if not tid:
            return None  # the payer never reached LINE Pay
        data = self._call("GET", f"/v3/payments/requests/{tid}/check")
        code = str(data["returnCode"])
        if code == "0110":
            notice = self.confirm(payment)
            return notice if notice.final else None
        if code in ("0121", "0122"):
            return Notice(kind="payment", event_id=f"check:{tid}:{code}", trade_no=payment.trade_no,
                          succeeded=False, final=True, amount=payment.amount, currency=payment.currency,
                          detail=f"{code} {data.get('returnMessage', '')}".strip())
        if code == "0123":
            details = self._call("GET", "/v3/payments", query=f"transactionId={tid}")
            rows = [i for i in details.get("info") or [] if str(i.get("transactionId")) == tid]
            if details["returnCode"] != "0000" or not rows or str(rows[0].get("orderId")) != payment.trade_no:
                raise ProviderUnavailable(f"details {tid}: {details}")
            return self._paid(rows[0], event_id=f"check:{tid}:{code}", trade_no=payment.trade_no,
                              currency=payment.currency)
        return None

    def close(self, payment: Payment) -> None:
        return None  # an unconfirmed request lapses at LINE Pay; we never confirm a closed payment

    def send_refund(self, pref: ProviderRefund) -> Notice | None:
        payment = pref.payment
        data = self._call("POST", f"/v3/payments/{payment.provider_ref}/refund",
                          {"refundAmount": self.whole_dollars(pref.amount, pref.currency)})
        code = str(data["returnCode"])
        info = data.get("info") or {}
        return Notice(kind="refund", event_id=f"refund:{pref.refund_no}", trade_no=payment.trade_no,
                      succeeded=code == "0000", final=True, amount=pref.amount, currency=pref.currency,
                      refund_no=pref.refund_no, provider_ref=str(info.get("refundTransactionId", "")),
                      detail=f"{code} {data.get('returnMessage', '')}".strip())

    def answer(self, ok: bool, message: str = "") -> HttpResponse:
        return HttpResponse(status=404)  # nothing posts to /payments/notify/linepay/
