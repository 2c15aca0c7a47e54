from celery import shared_task

from weishang.core.periodic import PeriodicJob


@shared_task(name="weishang.orders.tasks.route_waiting_restocks", base=PeriodicJob)
def route_waiting_restocks() -> dict:
    """Fill waiting restocks whose seller now has stock; pass up those whose wait ran out."""
    from .services import route_waiting

    return route_waiting()


@shared_task(name="weishang.orders.tasks.expire_unpaid_orders", base=PeriodicJob)
def expire_unpaid_orders() -> int:
    """Cancel orders whose payment time ran out, releasing the reserved stock."""
    from .services import expire_unpaid

    return expire_unpaid()


@shared_task(name="weishang.orders.tasks.auto_receive_orders", base=PeriodicJob)
def auto_receive_orders() -> int:
    """Shipped orders are received N days after the last parcel left."""
    from .services import auto_receive

    return auto_receive()


@shared_task(name="weishang.orders.tasks.complete_orders", base=PeriodicJob)
def complete_orders() -> int:
    """Received orders whose return window closed become completed (order_completed)."""
    from .services import complete_due

    return complete_due()
