"""Order knobs (brand options), read from settings or the environment."""

from __future__ import annotations

import os

from django.conf import settings


def _get(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or default
    return str(value)


def restock_wait_hours() -> float:
    """How long an upline has to restock (补货) before the order passes up. 0: at once."""
    return float(_get("ORDERS_RESTOCK_WAIT_HOURS", "24"))


def passed_over_earns() -> bool:
    """Whether a passed-over upline earns the difference between its price and the buyer's."""
    return _get("ORDERS_PASSED_OVER_EARNS", "0").lower() in {"1", "true", "yes", "on"}


def payment_timeout_minutes() -> int:
    return int(_get("ORDERS_PAYMENT_TIMEOUT_MINUTES", "30"))


def restock_payment_timeout_minutes() -> int:
    return int(_get("ORDERS_RESTOCK_PAYMENT_TIMEOUT_MINUTES", "1440"))


def auto_receive_days() -> int:
    return int(_get("ORDERS_AUTO_RECEIVE_DAYS", "10"))


def return_window_days() -> int:
    return int(_get("ORDERS_RETURN_WINDOW_DAYS", "7"))


def refund_due_rules() -> dict[str, int]:
    """Refund deadlines by currency, in days after the goods come back (or after the request
    when nothing comes back): ORDERS_REFUND_DUE_DAYS = "TWD:15" by default (Taiwan's
    consumer protection rule). "" turns the rule off."""
    out: dict[str, int] = {}
    for part in _get("ORDERS_REFUND_DUE_DAYS", "TWD:15").split(","):
        code, _sep, days = part.strip().partition(":")
        if code and days.strip().isdigit():
            out[code.strip().upper()] = int(days)
    return out


def refund_due_days(currency: str) -> int | None:
    return refund_due_rules().get(currency)


def hq_shop_agent_id() -> int | None:
    """ORDERS_HQ_SHOP_AGENT_ID: the agent whose shop brand pages send visitors to when they
    came through no agent (HQ's own direct-sale account). Empty: the oldest top agent."""
    value = _get("ORDERS_HQ_SHOP_AGENT_ID", "").strip()
    return int(value) if value.isdigit() else None
