"""Online payment providers: WeChat Pay (API v3), Alipay (phone web pay) and the sandbox.

Each class is a `providers.Provider`; everything that talks to the outside world is a
method here (`checkout`, `query`, `close`, `send_refund`), and everything that comes in is
proven by `verify`, which turns a notification into a `Notice` or raises NotVerified.
What a Notice does to payments and orders is decided once, in `notifications`.

The money of an online payment lands in HQ's merchant account whoever the payee is, so
its ledger source is PREPAID_FUNDING (HQ's mirror of money received from outside, as for
an offline transfer to HQ). A refund is owed to the buyer in REFUND_CLEARING until the
provider's verified refund notification says it left (`notifications.apply`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError
from weishang.earnings.rules import from_units, to_units
from weishang.ledger.models import AccountKind
from weishang.ledger.services import account

from . import conf
from .models import Payment, ProviderRefund
from .providers import Provider

log = logging.getLogger("weishang.payments")

# A signed notification older (or newer) than this is a replay, whatever its signature.
MAX_CLOCK_SKEW = 300


class NotVerified(Exception):
    """The notification is not proven to come from the provider (the reason is logged)."""


class ProviderUnavailable(DomainError):
    status = 502
    code = "provider_unavailable"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(_("The payment provider could not be reached. Try again in a moment."))


@dataclass
class Notice:
    """What a verified notification (or a verified query answer) says."""

    kind: str  # "payment" or "refund"
    event_id: str
    trade_no: str  # our out_trade_no
    succeeded: bool
    final: bool  # no later state will come (paid, failed, refunded, refund failed)
    amount: Decimal | None
    currency: str
    provider_ref: str = ""  # the provider's transaction id / refund id
    refund_no: str = ""  # our out_refund_no
    detail: str = ""
    # Alipay's refund notification gives the payment's refunded total so far (refund_fee).
    refund_total: bool = False


@dataclass
class Checkout:
    """How the payer continues at the provider: follow `url`, scan `qr`, call the
    WeChat JSAPI with `params`, or post the signed form `post` to `url` (ECPay)."""

    url: str = ""
    qr: str = ""
    params: dict = field(default_factory=dict)
    post: dict = field(default_factory=dict)

    @property
    def params_json(self) -> str:
        return json.dumps(self.params)


def _amount(raw: Any) -> Decimal:
    try:
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise NotVerified(f"amount {raw!r} is not a number") from None


def _fresh(timestamp: str) -> None:
    try:
        age = abs(time.time() - int(timestamp))
    except (TypeError, ValueError):
        raise NotVerified("timestamp missing or not a number") from None
    if age > MAX_CLOCK_SKEW:
        raise NotVerified(f"timestamp {timestamp} is {int(age)}s away from now (replay?)")


class HttpSession:
    """A provider's outbound HTTP session, made on first use (tests set `http` to a fake)."""

    _http: Any = None

    @property
    def http(self):
        if self._http is None:
            import requests

            self._http = requests.Session()
        return self._http

    @http.setter
    def http(self, value) -> None:
        self._http = value


class OnlineProvider(Provider):
    online = True
    payers = ("consumer",)

    def start(self, payment: Payment) -> bool:
        payment.trade_no = f"{payment.order.no.replace('-', '_')}_{payment.pk}"
        Payment.objects.filter(pk=payment.pk).update(trade_no=payment.trade_no)
        return False

    def source_lines(self, payment: Payment) -> list[tuple]:
        return [(account(AccountKind.PREPAID_FUNDING, payment.currency), -Decimal(payment.amount))]

    def refund_lines(self, payment: Payment, amount: Decimal) -> list[tuple]:
        return [(account(AccountKind.REFUND_CLEARING, payment.currency), Decimal(amount))]

    def refund(self, payment: Payment, refund_obj, actor) -> None:
        from . import notifications

        notifications.request_refund(self, payment, refund_obj)

    # --- the outside world ---------------------------------------------------------------
    def checkout(self, payment: Payment, *, return_url: str, user_agent: str, client_ip: str) -> Checkout:
        raise NotImplementedError

    def verify(self, headers: dict, body: bytes) -> Notice:
        raise NotImplementedError

    def query(self, payment: Payment) -> Notice | None:
        """The provider's word on a payment still waiting (None: not paid yet)."""
        raise NotImplementedError

    def close(self, payment: Payment) -> None:
        raise NotImplementedError

    def send_refund(self, pref: ProviderRefund) -> Notice | None:
        """Ask the provider to refund; a Notice if it answered with the final result."""
        raise NotImplementedError

    def answer(self, ok: bool, message: str = "") -> HttpResponse:
        raise NotImplementedError

    def headers_of(self, request) -> dict:
        """The request headers this provider signs (stored with the notification)."""
        return {}


# --- sandbox ---------------------------------------------------------------------------------

class SandboxProvider(OnlineProvider):
    """A local stand-in for a real provider (demo and tests): its page lets the payer press
    pay or fail, then sends a signed notification in the WeChat Pay v3 shape (timestamp,
    nonce, body; HMAC-SHA256 with a key derived from SECRET_KEY) to the same notification
    code a real one reaches. Refunds are answered by a signed refund notification."""

    code = "sandbox"
    label = _("Sandbox payment (demo)")

    def _key(self) -> bytes:
        return hmac.new(conf.get("SECRET_KEY").encode(), b"weishang.payments.sandbox", hashlib.sha256).digest()

    def sign(self, body: bytes, timestamp: str | None = None, nonce: str | None = None) -> dict:
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or secrets.token_hex(16)
        message = f"{timestamp}\n{nonce}\n{body.decode()}\n".encode()
        return {"X-Sandbox-Timestamp": timestamp, "X-Sandbox-Nonce": nonce,
                "X-Sandbox-Signature": hmac.new(self._key(), message, hashlib.sha256).hexdigest()}

    def headers_of(self, request) -> dict:
        return {k: request.headers.get(k, "") for k in ("X-Sandbox-Timestamp", "X-Sandbox-Nonce",
                                                         "X-Sandbox-Signature")}

    def verify(self, headers: dict, body: bytes) -> Notice:
        ts, nonce, sig = (headers.get(k, "") for k in ("X-Sandbox-Timestamp", "X-Sandbox-Nonce",
                                                         "X-Sandbox-Signature"))
        if not (ts and nonce and sig):
            raise NotVerified("signature headers missing")
        expected = self.sign(body, ts, nonce)["X-Sandbox-Signature"]
        if not hmac.compare_digest(expected, sig):
            raise NotVerified("bad signature")
        _fresh(ts)
        try:
            data = json.loads(body)
        except ValueError:
            raise NotVerified("body is not JSON") from None
        event = str(data.get("event_type", ""))
        kind = "refund" if event.startswith("REFUND.") else "payment"
        return Notice(kind=kind, event_id=str(data.get("id", "")), trade_no=str(data.get("out_trade_no", "")),
                      succeeded=event in ("TRANSACTION.SUCCESS", "REFUND.SUCCESS"), final=True,
                      amount=_amount(data.get("amount")), currency=str(data.get("currency", "")),
                      provider_ref=str(data.get("transaction_id", "") or data.get("refund_id", "")),
                      refund_no=str(data.get("out_refund_no", "")), detail=event)

    def event(self, event_type: str, payment: Payment, **extra) -> tuple[dict, bytes]:
        body = {"id": f"SBX-{secrets.token_hex(8)}", "event_type": event_type, "out_trade_no": payment.trade_no,
                "amount": str(payment.amount), "currency": payment.currency, **extra}
        raw = json.dumps(body, ensure_ascii=False).encode()
        return self.sign(raw), raw

    def deliver(self, event_type: str, payment: Payment, **extra):
        """Send a signed notification through the notification code path."""
        from . import notifications

        headers, raw = self.event(event_type, payment, **extra)
        return notifications.receive(self.code, headers, raw)

    def checkout(self, payment: Payment, *, return_url: str, user_agent: str, client_ip: str) -> Checkout:
        return Checkout(url=reverse("payments:sandbox", args=[payment.trade_no]))

    def query(self, payment: Payment) -> Notice | None:
        return None  # the sandbox page always notifies: a payment still waiting was never paid

    def close(self, payment: Payment) -> None:
        return None

    def send_refund(self, pref: ProviderRefund) -> Notice | None:
        from django.db import transaction

        payment = pref.payment
        transaction.on_commit(lambda: self.deliver("REFUND.SUCCESS", payment, amount=str(pref.amount),
                                                   out_refund_no=pref.refund_no, refund_id=f"SBXR{pref.pk}"))
        return None

    def answer(self, ok: bool, message: str = "") -> HttpResponse:
        return JsonResponse({"code": "SUCCESS" if ok else "FAIL", "message": message or ("OK" if ok else "FAIL")},
                            status=200 if ok else 400)


# --- WeChat Pay API v3 -------------------------------------------------------------------------

WECHAT_HEADERS = ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial",
                  "Wechatpay-Signature-Type")


class WeChatPayProvider(OnlineProvider):
    """WeChat Pay v3 through `wechatpayv3`: JSAPI inside WeChat (needs the payer's openid),
    H5 in a phone browser, Native (QR code) on a desktop. Notifications: the SDK checks the
    platform signature over "timestamp\\nnonce\\nbody\\n" and decrypts the AES-256-GCM
    resource with the APIv3 key. The platform certificates (or the WeChat Pay public key)
    are files of this deployment: the SDK is never left to download them on an incoming
    notification."""

    code = "wechatpay"
    label = _("WeChat Pay")

    def __init__(self) -> None:
        self._client = None

    @property
    def mchid(self) -> str:
        return conf.get("WECHATPAY_MCHID")

    def client(self):
        if self._client is None:
            from wechatpayv3 import WeChatPay, WeChatPayType

            public_key = conf.secret("WECHATPAY_PUBLIC_KEY") if conf.get("WECHATPAY_PUBLIC_KEY_PATH") else None
            self._client = WeChatPay(
                wechatpay_type=WeChatPayType.NATIVE, mchid=self.mchid, private_key=conf.secret("WECHATPAY_PRIVATE_KEY"),
                cert_serial_no=conf.get("WECHATPAY_CERT_SERIAL_NO"), appid=conf.get("WECHATPAY_APPID"),
                apiv3_key=conf.secret("WECHATPAY_APIV3_KEY").strip(), notify_url=conf.notify_url(self.code),
                cert_dir=conf.get("WECHATPAY_PLATFORM_CERT_DIR") or None, public_key=public_key,
                public_key_id=conf.get("WECHATPAY_PUBLIC_KEY_ID") or None, timeout=(5, 15), logger=log)
        return self._client

    def _known_serial(self, serial: str) -> bool:
        core = self.client()._core
        if core._public_key_id and serial == core._public_key_id:
            return True
        try:
            number = int(serial, 16)
        except ValueError:
            return False
        return any(c.serial_number == number for c in core._certificates)

    def headers_of(self, request) -> dict:
        return {k: request.headers.get(k, "") for k in WECHAT_HEADERS}

    def verify(self, headers: dict, body: bytes) -> Notice:
        if not all(headers.get(k) for k in WECHAT_HEADERS[:4]):
            raise NotVerified("Wechatpay-* signature headers missing")
        if not self._known_serial(headers["Wechatpay-Serial"]):
            raise NotVerified(f"unknown platform certificate serial {headers['Wechatpay-Serial']}")
        _fresh(headers["Wechatpay-Timestamp"])
        try:
            data = self.client().callback(dict(headers), body.decode())
        except Exception as exc:  # the SDK raises bare Exceptions (unsupported algorithm, bad JSON)
            raise NotVerified(f"not verified: {exc}") from None
        if not data:
            raise NotVerified("bad signature or the resource did not decrypt with the APIv3 key")
        res = data.get("resource") or {}
        if str(res.get("mchid", self.mchid)) != self.mchid:
            raise NotVerified(f"for merchant {res.get('mchid')}, not ours")
        event = str(data.get("event_type", ""))
        if event.startswith("REFUND."):
            amt = res.get("amount") or {}
            return Notice(kind="refund", event_id=str(data.get("id", "")), trade_no=str(res.get("out_trade_no", "")),
                          succeeded=res.get("refund_status") == "SUCCESS",
                          final=res.get("refund_status") in ("SUCCESS", "CLOSED", "ABNORMAL"),
                          amount=self._yuan(amt.get("refund")), currency="CNY",
                          provider_ref=str(res.get("refund_id", "")), refund_no=str(res.get("out_refund_no", "")),
                          detail=str(res.get("refund_status", "")))
        return self._trade_notice(res, event_id=str(data.get("id", "")))

    def _yuan(self, fen: Any) -> Decimal | None:
        if fen is None:
            return None
        try:
            return from_units(int(fen), "CNY")
        except (TypeError, ValueError):
            raise NotVerified(f"amount {fen!r} is not a whole number of fen") from None

    def _trade_notice(self, res: dict, *, event_id: str) -> Notice:
        amt = res.get("amount") or {}
        state = str(res.get("trade_state", ""))
        return Notice(kind="payment", event_id=event_id, trade_no=str(res.get("out_trade_no", "")),
                      succeeded=state == "SUCCESS", final=state in ("SUCCESS", "CLOSED", "REVOKED", "PAYERROR"),
                      amount=self._yuan(amt.get("total")), currency=str(amt.get("currency", "CNY")),
                      provider_ref=str(res.get("transaction_id", "")), detail=state)

    def _call(self, fn, **kw) -> dict:
        try:
            code, message = fn(**kw)
        except Exception as exc:  # network errors and the SDK's own checks
            raise ProviderUnavailable(str(exc)) from None
        if code not in range(200, 300):
            raise ProviderUnavailable(f"{code} {message}")
        return json.loads(message) if message else {}

    def checkout(self, payment: Payment, *, return_url: str, user_agent: str, client_ip: str) -> Checkout:
        from wechatpayv3 import WeChatPayType

        client = self.client()
        ua = user_agent.lower()
        kw: dict[str, Any] = {"description": f"{payment.order.no}"[:127], "out_trade_no": payment.trade_no,
                              "amount": {"total": to_units(payment.amount, payment.currency),
                                         "currency": payment.currency}}
        openid = getattr(payment.payer, "wechat_openid", "")
        if "micromessenger" in ua and openid:
            data = self._call(client.pay, pay_type=WeChatPayType.JSAPI, payer={"openid": openid}, **kw)
            ts, nonce = str(int(time.time())), secrets.token_hex(16)
            package = f"prepay_id={data['prepay_id']}"
            appid = conf.get("WECHATPAY_APPID")
            return Checkout(params={"appId": appid, "timeStamp": ts, "nonceStr": nonce, "package": package,
                                    "signType": "RSA", "paySign": client.sign([appid, ts, nonce, package])})
        if "mobile" in ua or "android" in ua or "iphone" in ua:
            data = self._call(client.pay, pay_type=WeChatPayType.H5,
                              scene_info={"payer_client_ip": client_ip, "h5_info": {"type": "Wap"}}, **kw)
            from urllib.parse import quote

            return Checkout(url=f"{data['h5_url']}&redirect_url={quote(return_url, safe='')}")
        data = self._call(client.pay, pay_type=WeChatPayType.NATIVE, **kw)
        return Checkout(qr=data["code_url"])

    def query(self, payment: Payment) -> Notice | None:
        data = self._call(self.client().query, out_trade_no=payment.trade_no)
        notice = self._trade_notice(data, event_id=f"query:{payment.trade_no}:{data.get('trade_state', '')}")
        return notice if notice.final else None

    def close(self, payment: Payment) -> None:
        self._call(self.client().close, out_trade_no=payment.trade_no)

    def send_refund(self, pref: ProviderRefund) -> Notice | None:
        payment = pref.payment
        self._call(self.client().refund, out_refund_no=pref.refund_no, out_trade_no=payment.trade_no,
                   amount={"refund": to_units(pref.amount, pref.currency),
                           "total": to_units(payment.amount, payment.currency), "currency": pref.currency})
        return None  # the result comes as a signed REFUND.* notification

    def answer(self, ok: bool, message: str = "") -> HttpResponse:
        if ok:
            return HttpResponse(status=204)
        return JsonResponse({"code": "FAIL", "message": message or "FAIL"}, status=400)


# --- Alipay --------------------------------------------------------------------------------------

ALIPAY_GATEWAY = "https://openapi.alipay.com/gateway.do"
ALIPAY_SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"


class AlipayProvider(OnlineProvider):
    """Alipay through `python-alipay-sdk`: phone web pay (alipay.trade.wap.pay), computer
    web pay on a desktop. Notifications are form posts signed RSA2 with Alipay's key; the
    SDK's `verify` checks them. Refunds answer synchronously (a signed response the SDK
    verifies), and a partial refund also notifies with out_biz_no / refund_fee."""

    code = "alipay"
    label = _("Alipay")

    def __init__(self) -> None:
        self._client = None

    def client(self):
        if self._client is None:
            from alipay import AliPay

            self._client = AliPay(appid=conf.get("ALIPAY_APPID"), app_notify_url=conf.notify_url(self.code),
                                  app_private_key_string=conf.secret("ALIPAY_PRIVATE_KEY"),
                                  alipay_public_key_string=conf.secret("ALIPAY_PUBLIC_KEY"), sign_type="RSA2",
                                  debug=conf.get("ALIPAY_DEBUG", "0").lower() in ("1", "true", "yes"))
        return self._client

    def verify(self, headers: dict, body: bytes) -> Notice:
        from urllib.parse import parse_qsl

        try:
            data = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
        except (ValueError, UnicodeDecodeError):
            raise NotVerified("body is not a form") from None
        signature = data.pop("sign", "")
        if not signature:
            raise NotVerified("sign missing")
        if data.get("sign_type", "RSA2") != "RSA2":
            raise NotVerified(f"sign_type {data.get('sign_type')} is not RSA2")
        try:
            ok = self.client().verify(dict(data), signature)
        except Exception as exc:  # bad base64, unknown sign type
            raise NotVerified(f"not verified: {exc}") from None
        if not ok:
            raise NotVerified("bad signature")
        if data.get("app_id") != conf.get("ALIPAY_APPID"):
            raise NotVerified(f"for app {data.get('app_id')}, not ours")
        return self._notice(data, event_id=data.get("notify_id", ""))

    def _notice(self, data: dict, *, event_id: str) -> Notice:
        status = data.get("trade_status", "")
        if data.get("out_biz_no") and data.get("refund_fee"):
            return Notice(kind="refund", event_id=event_id, trade_no=data.get("out_trade_no", ""), succeeded=True,
                          final=True, amount=_amount(data["refund_fee"]), currency="CNY", refund_total=True,
                          provider_ref=data.get("trade_no", ""), refund_no=data["out_biz_no"], detail=status)
        return Notice(kind="payment", event_id=event_id, trade_no=data.get("out_trade_no", ""),
                      succeeded=status in ("TRADE_SUCCESS", "TRADE_FINISHED"),
                      final=status in ("TRADE_SUCCESS", "TRADE_FINISHED", "TRADE_CLOSED"),
                      amount=_amount(data["total_amount"]) if data.get("total_amount") else None, currency="CNY",
                      provider_ref=data.get("trade_no", ""), detail=status)

    def _gateway(self) -> str:
        return ALIPAY_SANDBOX_GATEWAY if conf.get("ALIPAY_DEBUG", "0").lower() in ("1", "true", "yes") \
            else ALIPAY_GATEWAY

    def checkout(self, payment: Payment, *, return_url: str, user_agent: str, client_ip: str) -> Checkout:
        client = self.client()
        ua = user_agent.lower()
        kw = {"subject": payment.order.no, "out_trade_no": payment.trade_no, "total_amount": str(payment.amount),
              "return_url": return_url, "notify_url": conf.notify_url(self.code)}
        if "mobile" in ua or "android" in ua or "iphone" in ua:
            query = client.api_alipay_trade_wap_pay(**kw)
        else:
            query = client.api_alipay_trade_page_pay(**kw)
        return Checkout(url=f"{self._gateway()}?{query}")

    def _server(self, fn, **kw) -> dict:
        try:
            return fn(**kw)
        except Exception as exc:  # network errors, unverifiable responses
            raise ProviderUnavailable(str(exc)) from None

    def query(self, payment: Payment) -> Notice | None:
        data = self._server(self.client().api_alipay_trade_query, out_trade_no=payment.trade_no)
        if data.get("code") != "10000":
            return None  # ACQ.TRADE_NOT_EXIST: the payer never opened the payment
        notice = self._notice(data, event_id=f"query:{payment.trade_no}:{data.get('trade_status', '')}")
        return notice if notice.final else None

    def close(self, payment: Payment) -> None:
        data = self._server(self.client().api_alipay_trade_close, out_trade_no=payment.trade_no)
        if data.get("code") not in ("10000", "40004"):  # 40004 ACQ.TRADE_NOT_EXIST: nothing to close
            raise ProviderUnavailable(f"close: {data}")

    def send_refund(self, pref: ProviderRefund) -> Notice | None:
        data = self._server(self.client().api_alipay_trade_refund, refund_amount=str(pref.amount),
                            out_trade_no=pref.payment.trade_no, out_request_no=pref.refund_no)
        if data.get("code") != "10000":
            return Notice(kind="refund", event_id=f"refund:{pref.refund_no}", trade_no=pref.payment.trade_no,
                          succeeded=False, final=True, amount=pref.amount, currency=pref.currency,
                          refund_no=pref.refund_no, detail=f"{data.get('sub_code', '')} {data.get('sub_msg', '')}")
        return Notice(kind="refund", event_id=f"refund:{pref.refund_no}", trade_no=pref.payment.trade_no,
                      succeeded=True, final=True,  # 10000: refunded (fund_change N: by an earlier try)
                      amount=pref.amount, currency=pref.currency, provider_ref=str(data.get("trade_no", "")),
                      refund_no=pref.refund_no, detail="sync")

    def answer(self, ok: bool, message: str = "") -> HttpResponse:
        return HttpResponse("success" if ok else "fail", content_type="text/plain")


from .ecpay import ECPayProvider  # noqa: E402 (they build on the classes above)
from .linepay import LinePayProvider  # noqa: E402

CLASSES: dict[str, type[OnlineProvider]] = {"sandbox": SandboxProvider, "wechatpay": WeChatPayProvider,
                                            "alipay": AlipayProvider, "ecpay": ECPayProvider,
                                            "linepay": LinePayProvider}
_cache: dict[tuple, dict[str, OnlineProvider]] = {}


def configured() -> dict[str, OnlineProvider]:
    """The online providers this deployment enabled (PAYMENTS_PROVIDERS)."""
    key = conf.snapshot()
    if key not in _cache:
        _cache.clear()
        _cache[key] = {code: CLASSES[code]() for code in conf.enabled()}
    return _cache[key]
