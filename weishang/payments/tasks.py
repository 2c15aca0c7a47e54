from celery import shared_task

from weishang.core.periodic import PeriodicJob


@shared_task(name="weishang.payments.tasks.purge_idempotency_keys", base=PeriodicJob)
def purge_idempotency_keys() -> int:
    """Idempotency records older than a week are no longer needed for retries."""
    from weishang.core.idempotency import purge

    return purge()


@shared_task(name="weishang.payments.tasks.query_pending_online_payments", base=PeriodicJob)
def query_pending_online_payments() -> dict:
    """Ask the provider about online payments waiting too long (a lost notification)."""
    from .notifications import query_pending

    return query_pending()
