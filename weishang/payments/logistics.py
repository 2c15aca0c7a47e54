"""Convenience-store pickup (超商取貨: 7-ELEVEN, FamilyMart) through ECPay logistics, TWD.

1. The buyer opens ECPay's store map (Express/map, a form post from our page) and picks a
   store; ECPay posts the store back to our map reply address. That reply is not signed
   by ECPay, and the buyer's session cookie does not come with a cross-site post, so the
   order it is for travels in ExtraData as a token we signed ourselves (`map_token`).
2. When the warehouse ships, we create the logistics order (Express/Create, signed with
   CheckMacValue; logistics uses MD5 where payments use SHA256) and record the shipment
   under ECPay's shipment number.
3. ECPay posts each status change to our status address, CheckMacValue-signed (MD5); we
   answer "1|OK". "Picked up at the store" marks the order received.
All outbound calls go through `self.http` (a requests.Session); tests put a fake there.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import parse_qsl

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

from . import conf, online  # online before ecpay: online.py imports ecpay's provider at its end
from .ecpay import check_mac_value, is_stage

NotVerified, ProviderUnavailable = online.NotVerified, online.ProviderUnavailable

GATEWAY = "https://logistics.ecpay.com.tw"
STAGE_GATEWAY = "https://logistics-stage.ecpay.com.tw"
CHAINS = {"UNIMARTC2C": _("7-ELEVEN"), "FAMIC2C": _("FamilyMart")}
# Status codes (RtnCode) of ECPay's C2C store deliveries that mean the parcel is at the
# store, or that the buyer took it.
ARRIVED = {"2073", "3018"}  # 7-ELEVEN 商品配達買家取貨門市 / FamilyMart 到店
PICKED_UP = {"2067", "3022"}  # 7-ELEVEN 消費者成功取件 / FamilyMart 買家已到店取貨
TOKEN_MAX_AGE = 2 * 3600
_SALT = "weishang.payments.cvs-map"


def map_token(order_id: int) -> str:
    return signing.dumps(order_id, salt=_SALT, compress=True)


def order_id_from(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return value if isinstance(value, int) else None


def taiwan_mobile(phone: str) -> str:
    """+886912345678 / 0912-345-678 → 0912345678 (ECPay wants 09 and 8 digits)."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("886"):
        digits = "0" + digits[3:]
    return digits if re.fullmatch(r"09\d{8}", digits) else ""


class ECPayLogistics(online.HttpSession):
    @property
    def merchant_id(self) -> str:
        return conf.get("ECPAY_LOGISTICS_MERCHANT_ID")

    def _keys(self) -> tuple[str, str]:
        return conf.secret("ECPAY_LOGISTICS_HASH_KEY").strip(), conf.secret("ECPAY_LOGISTICS_HASH_IV").strip()

    def mac(self, params: dict) -> str:
        return check_mac_value(params, *self._keys(), digest=hashlib.md5)

    def signed(self, params: dict) -> bool:
        given = str(params.get("CheckMacValue", ""))
        return bool(given) and hmac.compare_digest(self.mac(params), given.upper())

    def gateway(self) -> str:
        return STAGE_GATEWAY if is_stage() else GATEWAY

    def map_form(self, order, chain: str, *, mobile: bool) -> tuple[str, dict]:
        """The form the buyer's page posts to ECPay's store map."""
        if chain not in CHAINS:
            raise DomainError(_("Choose 7-ELEVEN or FamilyMart."), code="invalid_store_chain")
        return f"{self.gateway()}/Express/map", {
            "MerchantID": self.merchant_id, "LogisticsType": "CVS", "LogisticsSubType": chain,
            "IsCollection": "N", "ServerReplyURL": f"{conf.get('SITE_URL')}/payments/cvs/reply/",
            "ExtraData": map_token(order.pk), "Device": "1" if mobile else "0"}

    def create(self, order) -> dict:
        """Express/Create for an order going to its pickup store; ECPay's verified answer."""
        import requests

        receiver_phone = taiwan_mobile(order.ship_phone)
        if not order.pickup_store_id or not receiver_phone:
            raise DomainError(_("This order has no pickup store or no Taiwan mobile number."),
                              code="no_pickup_store")
        params = {
            "MerchantID": self.merchant_id, "MerchantTradeNo": f"L{order.pk:08d}{secrets.token_hex(3).upper()}",
            "MerchantTradeDate": timezone.localtime().strftime("%Y/%m/%d %H:%M:%S"), "LogisticsType": "CVS",
            "LogisticsSubType": order.pickup_store_type, "GoodsAmount": str(int(order.total)),
            "GoodsName": order.no, "IsCollection": "N",
            "SenderName": conf.get("ECPAY_LOGISTICS_SENDER_NAME"),
            "SenderCellPhone": conf.get("ECPAY_LOGISTICS_SENDER_PHONE"),
            "ReceiverName": order.ship_name[:10], "ReceiverCellPhone": receiver_phone,
            "ReceiverStoreID": order.pickup_store_id,
            "ServerReplyURL": f"{conf.get('SITE_URL')}/payments/cvs/status/",
        }
        params["CheckMacValue"] = self.mac(params)
        try:
            r = self.http.request("POST", f"{self.gateway()}/Express/Create", data=params, timeout=(5, 20))
            r.raise_for_status()
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"Express/Create {order.no}: {exc}") from None
        ok, _sep, rest = r.text.partition("|")
        data = dict(parse_qsl(rest, keep_blank_values=True))
        if ok != "1" or not self.signed(data) or not data.get("AllPayLogisticsID"):
            raise ProviderUnavailable(f"Express/Create {order.no}: {r.text[:300]}")
        return data

    def verify_status(self, body: bytes) -> dict:
        try:
            data = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
        except (ValueError, UnicodeDecodeError):
            raise NotVerified("body is not a form") from None
        if not self.signed(data):
            raise NotVerified("bad or missing CheckMacValue")
        if data.get("MerchantID") != self.merchant_id:
            raise NotVerified(f"for merchant {data.get('MerchantID')}, not ours")
        return data


def enabled() -> bool:
    return bool(conf.get("ECPAY_LOGISTICS_MERCHANT_ID"))


_instance: dict[tuple, ECPayLogistics] = {}


def logistics() -> ECPayLogistics:
    """The one client of this deployment (tests set its `http`)."""
    key = conf.snapshot()
    if key not in _instance:
        _instance.clear()
        _instance[key] = ECPayLogistics()
    return _instance[key]
