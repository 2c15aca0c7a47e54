from celery import shared_task


@shared_task(name="weishang.certificates.tasks.expire_lapsed_certificates")
def expire_lapsed_certificates() -> int:
    """Certificates past their validity expire, and their agents with them."""
    from .services import expire_lapsed

    return expire_lapsed()
