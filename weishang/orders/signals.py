"""Order events other areas listen to (earnings posts to the ledger, codes and analytics
record). Each is sent INSIDE the transaction that makes the change, so a receiver's
writes commit or roll back together with it. Receivers must be idempotent (use a ledger
journal key per order/line/rule version): an event may be re-sent by a retry.

    order_paid(sender, order, payment)        the order is paid (restock or consumer)
    order_received(sender, order)             the buyer received it (or auto-received)
    order_completed(sender, order)            return window closed, nothing open
    order_refunded(sender, order, refund)     a full or partial refund was approved;
                                              refund has .amount and per-line amounts
    order_cancelled(sender, order, was_paid)  cancelled; was_paid=True means money must
                                              be returned (earnings reverses in full)
    refund_completed(sender=Refund, refund, order, parts)
                                              money went back to the buyer (any refund:
                                              a request, an after-sales return, an HQ
                                              cancellation), sent after the ledger
                                              posting in the same transaction. `parts` is
                                              a list of RefundPart(line, quantity, amount):
                                              line is the OrderLine (None = the shipping
                                              fee), quantity the units that came back (0
                                              when goods were kept). The hook for points
                                              and coupons (marketing): take back points
                                              earned on `amount`, restore a coupon when
                                              the whole order is refunded
                                              (order.refunded_total == order.total). Key
                                              idempotent writes by refund.pk.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.dispatch import Signal


@dataclass(frozen=True)
class RefundPart:
    line: Any  # OrderLine, or None for the order-level part (shipping fee)
    quantity: int
    amount: Decimal


order_paid = Signal()
order_received = Signal()
order_completed = Signal()
order_refunded = Signal()
order_cancelled = Signal()
refund_completed = Signal()
