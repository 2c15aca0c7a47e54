"""Earnings knobs: Django settings first, then environment, then the default."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

from django.conf import settings


def _get(name: str, default: str) -> str:
    return str(getattr(settings, name, None) or os.environ.get(name) or default)


def profile_code() -> str:
    """Compliance profile of this deployment: cn (China) or tw (Taiwan)."""
    return _get("EARNINGS_COMPLIANCE_PROFILE", "tw" if settings.DEFAULT_CURRENCY == "TWD" else "cn")


def reward_cap_percent() -> Decimal:
    """Brand-wide cap: at most this percent of a line's paid amount goes to rewards."""
    return Decimal(_get("EARNINGS_REWARD_CAP_PERCENT", "20"))


def return_window() -> timedelta:
    """Earnings stay pending this long after the buyer received the goods."""
    return timedelta(days=int(_get("EARNINGS_RETURN_WINDOW_DAYS", "7")))


def withdrawal_minimum(currency: str) -> Decimal:
    return Decimal(_get(f"EARNINGS_WITHDRAWAL_MIN_{currency}", "100" if currency == "CNY" else "500"))


def withdrawal_fee_percent() -> Decimal:
    return Decimal(_get("EARNINGS_WITHDRAWAL_FEE_PERCENT", "0.6"))


def withdrawal_fee_minimum(currency: str) -> Decimal:
    return Decimal(_get(f"EARNINGS_WITHDRAWAL_FEE_MIN_{currency}", "1" if currency == "CNY" else "15"))
