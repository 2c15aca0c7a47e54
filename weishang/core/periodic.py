"""Periodic jobs run once at a time across every worker and machine.

Celery beat runs as a single process (deploy/Procfile), so each schedule slot is sent once.
That alone does not stop a second beat started by mistake, a task redelivered after its
worker was lost (acks_late), or `manage.py run_periodic_jobs` from cron while beat runs from
running the same job twice at the same moment. So every periodic task is a `PeriodicJob`: it
takes a lock in the shared cache (Redis in production: `add` is one atomic SET NX with an
expiry) before it runs and skips when another run holds it. The jobs themselves are
idempotent (they pick rows by state), so a later run finds nothing already done.
"""

from __future__ import annotations

import logging
import uuid

from celery import Task
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger("weishang.task")
SKIPPED = "skipped: another run of this job holds its lock"


def lock_key(job: str) -> str:
    return f"periodic-lock:{job}"


class PeriodicJob(Task):
    """Base class of every task in a beat schedule (`@shared_task(base=PeriodicJob, …)`)."""

    def __call__(self, *args, **kwargs):
        key, token = lock_key(self.name), uuid.uuid4().hex
        if not cache.add(key, token, timeout=settings.PERIODIC_LOCK_SECONDS):
            log.info("periodic job %s skipped: already running", self.name, extra={"task": self.name,
                                                                                  "state": "SKIPPED"})
            return SKIPPED
        try:
            return super().__call__(*args, **kwargs)
        finally:
            # Release only our own lock: if the run outlived the expiry, another run holds it now.
            if cache.get(key) == token:
                cache.delete(key)
