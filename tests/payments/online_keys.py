"""Test keys and signed notifications in the providers' documented formats.

WeChat Pay v3: JSON body with an AEAD_AES_256_GCM `resource` (APIv3 key, nonce,
associated_data), headers Wechatpay-Timestamp/Nonce/Signature/Serial, signature
RSA-SHA256 PKCS#1 v1.5 over "timestamp\\nnonce\\nbody\\n" by the platform certificate's key.
Alipay: a form post, RSA2 (SHA256withRSA) over the sorted "k=v&..." of every parameter
but sign and sign_type, by Alipay's key."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

APIV3_KEY = "0123456789abcdef0123456789ABCDEF"  # 32 bytes
MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
ALIPAY_APPID = "2021000000000001"


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def self_signed(key, serial: int) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def wechat_body(resource: dict, event_type: str, *, event_id: str | None = None, apiv3_key: str = APIV3_KEY,
                original_type: str = "transaction") -> str:
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat sends
    associated = original_type
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), json.dumps(resource).encode(),
                                                    associated.encode())
    return json.dumps({
        "id": event_id or f"EV-{secrets.token_hex(8)}", "create_time": "2026-01-01T12:00:00+08:00",
        "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
        "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": base64.b64encode(ciphertext).decode(), "associated_data": associated,
                     "nonce": nonce},
    })


def wechat_headers(body: str, key, serial: int, *, timestamp: int | None = None) -> dict:
    ts = str(timestamp or int(time.time()))
    nonce = secrets.token_hex(16)
    sig = key.sign(f"{ts}\n{nonce}\n{body}\n".encode(), padding.PKCS1v15(), hashes.SHA256())
    return {"HTTP_WECHATPAY_TIMESTAMP": ts, "HTTP_WECHATPAY_NONCE": nonce,
            "HTTP_WECHATPAY_SIGNATURE": base64.b64encode(sig).decode(),
            "HTTP_WECHATPAY_SERIAL": format(serial, "X"), "HTTP_WECHATPAY_SIGNATURE_TYPE": "WECHATPAY2-SHA256-RSA2048"}


def wechat_transaction(trade_no: str, fen: int, *, state: str = "SUCCESS", currency: str = "CNY",
                       mchid: str = MCHID) -> dict:
    return {"mchid": mchid, "appid": APPID, "out_trade_no": trade_no, "transaction_id": f"4200{secrets.randbits(40)}",
            "trade_type": "NATIVE", "trade_state": state, "trade_state_desc": "支付成功", "bank_type": "OTHERS",
            "attach": "", "success_time": "2026-01-01T12:00:00+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": fen, "payer_total": fen, "currency": currency, "payer_currency": currency}}


def wechat_refund(trade_no: str, refund_no: str, fen: int, total: int, *, status: str = "SUCCESS") -> dict:
    return {"mchid": MCHID, "out_trade_no": trade_no, "transaction_id": "4200000001", "out_refund_no": refund_no,
            "refund_id": f"5030{secrets.randbits(30)}", "refund_status": status,
            "success_time": "2026-01-02T12:00:00+08:00", "user_received_account": "支付用户零钱",
            "amount": {"total": total, "refund": fen, "payer_total": total, "payer_refund": fen}}


def alipay_sign(params: dict, key) -> str:
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type"))
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def alipay_notification(trade_no: str, amount: str, key, *, status: str = "TRADE_SUCCESS", app_id: str = ALIPAY_APPID,
                        **extra) -> dict:
    params = {"notify_time": "2026-01-01 12:00:00", "notify_type": "trade_status_sync",
              "notify_id": f"ac05099524730693a8b330c5ecf72da{secrets.token_hex(4)}", "charset": "utf-8",
              "version": "1.0", "sign_type": "RSA2", "app_id": app_id, "trade_no": f"2026{secrets.randbits(40)}",
              "out_trade_no": trade_no, "trade_status": status, "total_amount": amount, "receipt_amount": amount,
              "buyer_pay_amount": amount, "gmt_payment": "2026-01-01 12:00:00", "seller_id": "2088101106499364",
              "subject": "订单", **extra}
    params["sign"] = alipay_sign(params, key)
    return params


def form(params: dict) -> str:
    return urlencode(params)
