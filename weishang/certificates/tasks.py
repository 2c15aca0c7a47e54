from celery import shared_task

from weishang.core.periodic import PeriodicJob


@shared_task(name="weishang.certificates.tasks.expire_lapsed_certificates", base=PeriodicJob)
def expire_lapsed_certificates() -> int:
    """Certificates past their validity expire, and their agents with them."""
    from .services import expire_lapsed

    return expire_lapsed()
