"""ECPay (綠界科技) all-in-one checkout for Taiwan brands (AioCheckOut V5), TWD.

The payer's browser posts a signed form to ECPay's cashier; ECPay posts the result to our
ReturnURL (`/payments/notify/ecpay/`) as a form signed with CheckMacValue, which `verify`
checks before anything happens; we answer "1|OK". CheckMacValue is ECPay's documented
algorithm: the parameters but CheckMacValue sorted by name (case-insensitive), joined as
"HashKey=…&k=v&…&HashIV=…", URL-encoded the .NET way and lower-cased, SHA256, upper-cased.
TotalAmount is whole dollars: a payment with cents is refused before it reaches ECPay.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from decimal import Decimal
from urllib.parse import parse_qsl, quote_plus

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

from . import conf
from .models import Payment, ProviderRefund
from .online import Checkout, Notice, NotVerified, OnlineProvider, ProviderUnavailable

GATEWAY = "https://payment.ecpay.com.tw"
STAGE_GATEWAY = "https://payment-stage.ecpay.com.tw"
# .NET's HttpUtility.UrlEncode leaves these as they are; Python's quote_plus encodes them
# (and leaves "~", which .NET encodes).
_DOTNET = (("%2d", "-"), ("%5f", "_"), ("%2e", "."), ("%21", "!"), ("%2a", "*"), ("%28", "("), ("%29", ")"))


def check_mac_value(params: dict, hash_key: str, hash_iv: str, digest=hashlib.sha256) -> str:
    """SHA256 for payments; ECPay logistics uses the same string with MD5 (`digest`)."""
    pairs = sorted(((k, str(v)) for k, v in params.items() if k != "CheckMacValue"), key=lambda kv: kv[0].lower())
    raw = f"HashKey={hash_key}&" + "&".join(f"{k}={v}" for k, v in pairs) + f"&HashIV={hash_iv}"
    encoded = quote_plus(raw).lower()
    for a, b in _DOTNET:
        encoded = encoded.replace(a, b)
    encoded = encoded.replace("~", "%7e")
    return digest(encoded.encode()).hexdigest().upper()


def is_stage() -> bool:
    return conf.get("ECPAY_STAGE", "0").lower() in ("1", "true", "yes")


class ECPayProvider(OnlineProvider):
    code = "ecpay"
    label = _("ECPay (credit card)")

    @property
    def merchant_id(self) -> str:
        return conf.get("ECPAY_MERCHANT_ID")

    def _keys(self) -> tuple[str, str]:
        return conf.secret("ECPAY_HASH_KEY").strip(), conf.secret("ECPAY_HASH_IV").strip()

    def sign(self, params: dict) -> dict:
        return {**params, "CheckMacValue": check_mac_value(params, *self._keys())}

    def signed(self, params: dict) -> bool:
        given = str(params.get("CheckMacValue", ""))
        return bool(given) and hmac.compare_digest(check_mac_value(params, *self._keys()), given.upper())

    def gateway(self) -> str:
        return STAGE_GATEWAY if is_stage() else GATEWAY

    def start(self, payment: Payment) -> bool:
        # MerchantTradeNo: at most 20 letters and digits, never reused at the merchant.
        payment.trade_no = f"WS{payment.pk:08d}{secrets.token_hex(3).upper()}"
        Payment.objects.filter(pk=payment.pk).update(trade_no=payment.trade_no)
        return False

    @staticmethod
    def whole_dollars(payment: Payment) -> int:
        amount = Decimal(payment.amount)
        if payment.currency != "TWD" or amount != amount.to_integral_value() or amount <= 0:
            raise DomainError(_("ECPay takes whole New Taiwan dollars only."), code="invalid_amount")
        return int(amount)

    def checkout(self, payment: Payment, *, return_url: str, user_agent: str, client_ip: str) -> Checkout:
        params = {
            "MerchantID": self.merchant_id, "MerchantTradeNo": payment.trade_no,
            "MerchantTradeDate": timezone.localtime(payment.created_at).strftime("%Y/%m/%d %H:%M:%S"),
            "PaymentType": "aio", "TotalAmount": str(self.whole_dollars(payment)),
            "TradeDesc": str(_("Order %(no)s") % {"no": payment.order.no}), "ItemName": payment.order.no,
            "ReturnURL": conf.notify_url(self.code), "ClientBackURL": return_url,
            "ChoosePayment": conf.get("ECPAY_CHOOSE_PAYMENT", "Credit"), "EncryptType": "1",
        }
        return Checkout(url=f"{self.gateway()}/Cashier/AioCheckOut/V5", post=self.sign(params))

    def verify(self, headers: dict, body: bytes) -> Notice:
        try:
            data = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
        except (ValueError, UnicodeDecodeError):
            raise NotVerified("body is not a form") from None
        if not data.get("CheckMacValue"):
            raise NotVerified("CheckMacValue missing")
        if not self.signed(data):
            raise NotVerified("bad CheckMacValue")
        if data.get("MerchantID") != self.merchant_id:
            raise NotVerified(f"for merchant {data.get('MerchantID')}, not ours")
        return self._notice(data, amount_key="TradeAmt", event_id=f"{data.get('TradeNo', '')}:{data.get('RtnCode')}")

    def _notice(self, data: dict, *, amount_key: str, event_id: str, paid_code: str = "1",
                code_key: str = "RtnCode") -> Notice:
        try:
            amount = Decimal(data.get(amount_key, ""))
        except ArithmeticError:
            raise NotVerified(f"{amount_key} {data.get(amount_key)!r} is not a number") from None
        paid = data.get(code_key) == paid_code
        # SimulatePaid=1: "paid" by the test button of ECPay's merchant back office; no money moved.
        if data.get("SimulatePaid") == "1" and not is_stage():
            return Notice(kind="payment", event_id=event_id, trade_no=data.get("MerchantTradeNo", ""),
                          succeeded=False, final=False, amount=amount, currency="TWD", detail="SimulatePaid")
        return Notice(kind="payment", event_id=event_id, trade_no=data.get("MerchantTradeNo", ""), succeeded=paid,
                      final=paid, amount=amount, currency="TWD", provider_ref=data.get("TradeNo", ""),
                      detail=f"{data.get(code_key)} {data.get('RtnMsg', '')}".strip())

    # --- outbound (server to server) --------------------------------------------------------
    def _post(self, path: str, params: dict) -> dict:
        import requests

        try:
            r = requests.post(f"{self.gateway()}{path}", data=self.sign(params), timeout=(5, 15))
            r.raise_for_status()
        except requests.RequestException as exc:
            raise ProviderUnavailable(str(exc)) from None
        return dict(parse_qsl(r.text, keep_blank_values=True))

    def query(self, payment: Payment) -> Notice | None:
        data = self._post("/Cashier/QueryTradeInfo/V5", {"MerchantID": self.merchant_id,
                                                         "MerchantTradeNo": payment.trade_no,
                                                         "TimeStamp": str(int(time.time()))})
        if not self.signed(data):
            raise ProviderUnavailable(f"query answer for {payment.trade_no} not signed: {data}")
        notice = self._notice(data, amount_key="TradeAmt", code_key="TradeStatus",
                              event_id=f"query:{payment.trade_no}:{data.get('TradeStatus', '')}")
        return notice if notice.final else None

    def close(self, payment: Payment) -> None:
        return None  # an unpaid AioCheckOut trade simply expires at ECPay: nothing to close

    def send_refund(self, pref: ProviderRefund) -> Notice | None:
        """Credit card refund (信用卡請退款, Action R); ECPay answers at once."""
        payment = pref.payment
        amount = Decimal(pref.amount)
        data = self._post("/CreditDetail/DoAction", {"MerchantID": self.merchant_id,
                                                     "MerchantTradeNo": payment.trade_no,
                                                     "TradeNo": payment.provider_ref, "Action": "R",
                                                     "TotalAmount": str(int(amount))})
        ok = data.get("RtnCode") == "1" and amount == amount.to_integral_value()
        return Notice(kind="refund", event_id=f"refund:{pref.refund_no}", trade_no=payment.trade_no, succeeded=ok,
                      final=True, amount=pref.amount, currency=pref.currency, refund_no=pref.refund_no,
                      provider_ref=data.get("TradeNo", ""), detail=f"{data.get('RtnCode')} {data.get('RtnMsg', '')}")

    def answer(self, ok: bool, message: str = "") -> HttpResponse:
        return HttpResponse("1|OK" if ok else f"0|{message or 'FAIL'}"[:100], content_type="text/plain")
