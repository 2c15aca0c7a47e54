"""Order events -> earnings. Connected in apps.ready(); every receiver runs inside the
orders transaction and is idempotent (ledger keys per line, beneficiary and rule version)."""

from __future__ import annotations

from django.dispatch import receiver

from weishang.orders import signals

from . import integration, services


@receiver(signals.order_paid, dispatch_uid="earnings.order_paid")
def on_paid(sender, order, payment=None, **kwargs) -> None:
    lines = integration.paid_lines(order)
    if lines:
        services.settle_lines(lines, paid_at=integration.paid_at(order, payment))


@receiver(signals.order_received, dispatch_uid="earnings.order_received")
def on_received(sender, order, **kwargs) -> None:
    services.mark_received(integration.order_ref(order), integration.received_at(order))


@receiver(signals.order_completed, dispatch_uid="earnings.order_completed")
def on_completed(sender, order, **kwargs) -> None:
    services.complete_order(integration.order_ref(order))


@receiver(signals.order_refunded, dispatch_uid="earnings.order_refunded")
def on_refunded(sender, order, refund, **kwargs) -> None:
    services.refund_order(integration.order_ref(order), key=integration.refund_key(refund),
                          line_amounts=integration.refund_line_amounts(order, refund),
                          amount=getattr(refund, "amount", None))


@receiver(signals.order_cancelled, dispatch_uid="earnings.order_cancelled")
def on_cancelled(sender, order, was_paid=False, **kwargs) -> None:
    if was_paid:
        services.refund_order(integration.order_ref(order), key=f"cancel:{integration.order_ref(order)}")
