from celery import shared_task


@shared_task(name="analytics.run_job")
def run_job(job_id: int) -> None:
    from . import services

    services.run(job_id)
