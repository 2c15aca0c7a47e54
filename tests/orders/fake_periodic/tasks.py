from celery import shared_task


@shared_task(name="tests.orders.fake_periodic.tasks.ping")
def ping() -> str:
    return "pong"
