from celery import shared_task


@shared_task(name="weishang.payments.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Idempotency records older than a week are no longer needed for retries."""
    from weishang.core.idempotency import purge

    return purge()
