from celery import shared_task

from weishang.core.periodic import PeriodicJob


@shared_task(name="weishang.earnings.tasks.release_due_earnings", base=PeriodicJob)
def release_due_earnings() -> int:
    """Pending earnings whose return window closed (no open refund) become available."""
    from .services import release_due

    return release_due()
