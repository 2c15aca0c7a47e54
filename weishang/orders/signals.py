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
"""

from django.dispatch import Signal

order_paid = Signal()
order_received = Signal()
order_completed = Signal()
order_refunded = Signal()
order_cancelled = Signal()
