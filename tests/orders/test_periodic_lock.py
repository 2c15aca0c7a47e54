"""Periodic jobs take a lock in the shared cache: a second beat, a redelivered task or a cron
run while another run holds the lock skips instead of running the job twice at once."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from tests.orders.helpers import give
from weishang.core.management.commands.run_periodic_jobs import app_modules, beat_schedule
from weishang.core.periodic import SKIPPED, PeriodicJob, lock_key
from weishang.orders import services
from weishang.orders.models import Order, OrderStatus
from weishang.orders.tasks import expire_unpaid_orders


def overdue_order(tree):
    give(tree.mid, tree.sku, 1)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 1)])
    Order.objects.filter(pk=order.pk).update(payment_due_at=timezone.now() - timedelta(minutes=1))
    return order


def test_a_job_whose_lock_is_held_elsewhere_does_not_run(tree):
    order = overdue_order(tree)
    key = lock_key(expire_unpaid_orders.name)
    assert cache.add(key, "another-worker", timeout=60)  # another run of the job is in progress
    try:
        assert expire_unpaid_orders.apply().get() == SKIPPED
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING
        assert cache.get(key) == "another-worker"  # the skipped run left the other's lock alone
    finally:
        cache.delete(key)
    assert expire_unpaid_orders.apply().get() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert cache.get(key) is None  # released after the run
    assert expire_unpaid_orders.apply().get() == 0  # and the job is idempotent


def test_run_periodic_jobs_respects_the_lock(tree, capsys):
    order = overdue_order(tree)
    key = lock_key(expire_unpaid_orders.name)
    cache.add(key, "beat-run", timeout=60)
    try:
        call_command("run_periodic_jobs", "orders-expire-unpaid")
    finally:
        cache.delete(key)
    assert SKIPPED in capsys.readouterr().out
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_every_scheduled_task_is_a_locked_periodic_job():
    from weishang.celery import app

    app_modules("tasks")
    schedule = beat_schedule()
    assert schedule
    for name, entry in schedule.items():
        assert isinstance(app.tasks[entry["task"]], PeriodicJob), name
