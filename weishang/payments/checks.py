"""Deployment checks for the online providers (`manage.py check`): a provider listed in
PAYMENTS_PROVIDERS has its merchant settings, and the sandbox (anyone can "pay" on its
page) is not offered on a production database."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from . import conf

REQUIRED = {
    "wechatpay": ("WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_CERT_SERIAL_NO", "WECHATPAY_PRIVATE_KEY_PATH"),
    "alipay": ("ALIPAY_APPID", "ALIPAY_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH"),
    "ecpay": ("ECPAY_MERCHANT_ID",),
    "linepay": ("LINEPAY_CHANNEL_ID",),
}


@checks.register(checks.Tags.security)
def online_providers(app_configs=None, **kwargs):
    found = []
    for code in conf.unknown_codes():
        found.append(checks.Error(f"PAYMENTS_PROVIDERS names an unknown provider {code!r}.",
                                  hint=f"Known: {', '.join(conf.ONLINE_CODES)}.", id="payments.E001"))
    enabled = conf.enabled()
    for code, names in REQUIRED.items():
        missing = [n for n in names if code in enabled and not conf.get(n)]
        if missing:
            found.append(checks.Error(f"{code} is enabled but {', '.join(missing)} is not set.", id="payments.E002"))
    if "wechatpay" in enabled and not (conf.get("WECHATPAY_APIV3_KEY") or conf.get("WECHATPAY_APIV3_KEY_PATH")):
        found.append(checks.Error("wechatpay is enabled but WECHATPAY_APIV3_KEY(_PATH) is not set.",
                                  id="payments.E002"))
    if "wechatpay" in enabled and not (conf.get("WECHATPAY_PLATFORM_CERT_DIR") or conf.get("WECHATPAY_PUBLIC_KEY_PATH")):
        found.append(checks.Error("wechatpay needs WECHATPAY_PLATFORM_CERT_DIR or WECHATPAY_PUBLIC_KEY_PATH "
                                  "(+ WECHATPAY_PUBLIC_KEY_ID) to verify notifications.", id="payments.E003"))
    for name in ("ECPAY_HASH_KEY", "ECPAY_HASH_IV"):
        if "ecpay" in enabled and not (conf.get(name) or conf.get(f"{name}_PATH")):
            found.append(checks.Error(f"ecpay is enabled but {name}(_PATH) is not set.", id="payments.E002"))
    if "linepay" in enabled and not (conf.get("LINEPAY_CHANNEL_SECRET") or conf.get("LINEPAY_CHANNEL_SECRET_PATH")):
        found.append(checks.Error("linepay is enabled but LINEPAY_CHANNEL_SECRET(_PATH) is not set.",
                                  id="payments.E002"))
    if conf.get("ECPAY_LOGISTICS_MERCHANT_ID"):  # convenience-store pickup (weishang.payments.logistics)
        for name in ("ECPAY_LOGISTICS_HASH_KEY", "ECPAY_LOGISTICS_HASH_IV"):
            if not (conf.get(name) or conf.get(f"{name}_PATH")):
                found.append(checks.Error(f"ECPAY_LOGISTICS_MERCHANT_ID is set but {name}(_PATH) is not.",
                                          id="payments.E002"))
        for name in ("ECPAY_LOGISTICS_SENDER_NAME", "ECPAY_LOGISTICS_SENDER_PHONE"):
            if not conf.get(name):
                found.append(checks.Error(f"ECPAY_LOGISTICS_MERCHANT_ID is set but {name} is not.",
                                          id="payments.E002"))
    if "sandbox" in enabled and not getattr(settings, "EMBEDDED", False) and not settings.DEBUG:
        found.append(checks.Warning("The sandbox payment provider is enabled on a production database: anyone "
                                    "can mark an order paid on its page.", hint="Remove it from PAYMENTS_PROVIDERS.",
                                    id="payments.W001"))
    return found
