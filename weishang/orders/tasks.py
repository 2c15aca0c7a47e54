from celery import shared_task


@shared_task(name="weishang.orders.tasks.route_waiting_restocks")
def route_waiting_restocks() -> dict:
    """Fill waiting restocks whose seller now has stock; pass up those whose wait ran out."""
    from .services import route_waiting

    return route_waiting()


@shared_task(name="weishang.orders.tasks.expire_unpaid_orders")
def expire_unpaid_orders() -> int:
    """Cancel orders whose payment time ran out, releasing the reserved stock."""
    from .services import expire_unpaid

    return expire_unpaid()


@shared_task(name="weishang.orders.tasks.auto_receive_orders")
def auto_receive_orders() -> int:
    """Shipped orders are received N days after the last parcel left."""
    from .services import auto_receive

    return auto_receive()


@shared_task(name="weishang.orders.tasks.complete_orders")
def complete_orders() -> int:
    """Received orders whose return window closed become completed (order_completed)."""
    from .services import complete_due

    return complete_due()
