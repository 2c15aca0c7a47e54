"""Celery app. Redis broker when REDIS_URL is set; tasks run eagerly in-process otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weishang.settings")

app = Celery("weishang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Task log lines carry the task id and the enqueuing request's id (weishang.core.logs).
from weishang.core.logs import connect_celery_signals  # noqa: E402

connect_celery_signals()
