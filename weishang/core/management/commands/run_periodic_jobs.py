"""Run the periodic jobs once, now (cron-friendly; what the embedded default uses).

The jobs are discovered, not listed: every installed app's `schedule.py` (BEAT dict) is
read, together with settings.CELERY_BEAT_SCHEDULE, and every installed app's `tasks.py`
is imported first so its tasks are registered (Celery's autodiscovery is lazy and only
runs inside a worker, so without this a job failed with NotRegistered)."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from weishang.celery import app


def app_modules(name: str) -> list:
    """The `<app>.<name>` module of every installed app that has one, in INSTALLED_APPS order.
    A module that exists but fails to import raises (a broken tasks module must not be skipped)."""
    out = []
    for cfg in apps.get_app_configs():
        full = f"{cfg.name}.{name}"
        try:
            out.append(importlib.import_module(full))
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise
    return out


def beat_schedule() -> dict[str, dict]:
    """settings.CELERY_BEAT_SCHEDULE plus every installed app's BEAT entries."""
    schedule = dict(settings.CELERY_BEAT_SCHEDULE)
    for mod in app_modules("schedule"):
        for name, entry in getattr(mod, "BEAT", {}).items():
            schedule.setdefault(name, entry)
    return schedule


class Command(BaseCommand):
    help = "Run every periodic job of every installed app's beat schedule once, now (or only the named ones)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Schedule entry names (default: all). Use --list to see them.")
        parser.add_argument("--list", action="store_true")

    def handle(self, *args, names, list, **options):
        app_modules("tasks")  # register every app's tasks before looking them up
        schedule = beat_schedule()
        if list:
            for name, entry in schedule.items():
                self.stdout.write(f"{name}: {entry['task']}")
            return
        unknown = set(names) - set(schedule)
        if unknown:
            raise CommandError(f"Unknown job(s): {', '.join(sorted(unknown))}")
        missing = sorted({schedule[n]["task"] for n in names or schedule} - set(app.tasks.keys()))
        if missing:
            raise CommandError(f"Scheduled task(s) not registered by any app's tasks module: {', '.join(missing)}")
        for name in names or schedule:
            entry = schedule[name]
            task = app.tasks[entry["task"]]
            result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            result.get(propagate=True)
            self.stdout.write(f"{name}: {result.result}")
