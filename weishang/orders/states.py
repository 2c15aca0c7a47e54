"""The order state machine (pure, no database). Property-tested with hypothesis."""

from __future__ import annotations

AWAITING_STOCK = "awaiting_stock"
PENDING = "pending"
PAID = "paid"
SHIPPED = "shipped"
RECEIVED = "received"
COMPLETED = "completed"
CANCELLED = "cancelled"
REFUNDED = "refunded"

ALL = (AWAITING_STOCK, PENDING, PAID, SHIPPED, RECEIVED, COMPLETED, CANCELLED, REFUNDED)

# kind -> {from: {to, ...}}. Restocks land in the buyer's cloud stock on payment, so they
# go paid -> received without a shipment. Shipped -> shipped is a further partial shipment.
# After payment: -> refunded when everything paid has been refunded (an approved refund
# request), -> cancelled when HQ cancels a paid order that is not on its way (full refund).
TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    "restock": {
        AWAITING_STOCK: frozenset({PENDING, CANCELLED}),
        PENDING: frozenset({PAID, CANCELLED}),
        PAID: frozenset({RECEIVED, CANCELLED}),
        RECEIVED: frozenset({COMPLETED, REFUNDED, CANCELLED}),
    },
    "consumer": {
        PENDING: frozenset({PAID, CANCELLED}),
        PAID: frozenset({SHIPPED, REFUNDED, CANCELLED}),
        SHIPPED: frozenset({SHIPPED, RECEIVED, REFUNDED}),
        RECEIVED: frozenset({COMPLETED, REFUNDED}),
    },
    "pickup": {
        PENDING: frozenset({PAID, CANCELLED}),
        PAID: frozenset({SHIPPED}),
        SHIPPED: frozenset({SHIPPED, RECEIVED}),
        RECEIVED: frozenset({COMPLETED}),
    },
}

TERMINAL = frozenset({COMPLETED, CANCELLED, REFUNDED})
# States in which the buyer may ask for a refund (within the return window once received).
REFUNDABLE = frozenset({PAID, SHIPPED, RECEIVED})
# States in which the order still holds a stock reservation.
HOLDS_RESERVATION = frozenset({PENDING})


def can(kind: str, current: str, target: str) -> bool:
    return target in TRANSITIONS.get(kind, {}).get(current, frozenset())


def allowed(kind: str, current: str) -> frozenset[str]:
    return TRANSITIONS.get(kind, {}).get(current, frozenset())
