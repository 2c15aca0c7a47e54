"""Online payment configuration, per deployment, from settings or the environment.

Keys and certificates are files (a path in the environment) or environment values; they
are never stored in the database. `PAYMENTS_PROVIDERS` lists the online providers this
deployment offers, e.g. "wechatpay,alipay"; the embedded demo (no DATABASE_URL) offers
the sandbox by default so `make run` can sell end to end.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

ONLINE_CODES = ("sandbox", "wechatpay", "alipay", "ecpay", "linepay")


def get(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or default
    return str(value)


def secret(name: str) -> str:
    """A key given inline (NAME) or as a file (NAME_PATH, preferred)."""
    path = get(f"{name}_PATH")
    if path:
        return Path(path).read_text()
    return get(name)


def enabled() -> list[str]:
    default = "sandbox" if getattr(settings, "EMBEDDED", False) else ""
    codes = [c.strip() for c in get("PAYMENTS_PROVIDERS", default).split(",") if c.strip()]
    return [c for c in codes if c in ONLINE_CODES]


def unknown_codes() -> list[str]:
    return [c.strip() for c in get("PAYMENTS_PROVIDERS", "").split(",") if c.strip() and c.strip() not in ONLINE_CODES]


def query_after_minutes() -> int:
    """A payment still waiting this long is asked about at the provider (notification lost)."""
    return int(get("PAYMENTS_QUERY_AFTER_MINUTES", "5"))


def notify_url(code: str) -> str:
    return f"{settings.SITE_URL}/payments/notify/{code}/"


def snapshot() -> tuple:
    """Everything the configured provider objects depend on (their cache key)."""
    names = ("PAYMENTS_PROVIDERS", "SITE_URL", "WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_CERT_SERIAL_NO",
             "WECHATPAY_PRIVATE_KEY_PATH", "WECHATPAY_APIV3_KEY", "WECHATPAY_APIV3_KEY_PATH",
             "WECHATPAY_PLATFORM_CERT_DIR", "WECHATPAY_PUBLIC_KEY_PATH", "WECHATPAY_PUBLIC_KEY_ID",
             "ALIPAY_APPID", "ALIPAY_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH", "ALIPAY_DEBUG", "SECRET_KEY",
             "ECPAY_MERCHANT_ID", "ECPAY_HASH_KEY_PATH", "ECPAY_HASH_IV_PATH", "ECPAY_STAGE",
             "LINEPAY_CHANNEL_ID", "LINEPAY_SANDBOX")
    return tuple(get(n) for n in names) + (tuple(enabled()),)
