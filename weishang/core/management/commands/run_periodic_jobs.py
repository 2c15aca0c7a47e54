from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from weishang.celery import app


class Command(BaseCommand):
    help = "Run every periodic job of the Celery beat schedule once, now (or only the named ones)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Schedule entry names (default: all). Use --list to see them.")
        parser.add_argument("--list", action="store_true")

    def handle(self, *args, names, list, **options):
        schedule = settings.CELERY_BEAT_SCHEDULE
        if list:
            for name, entry in schedule.items():
                self.stdout.write(f"{name}: {entry['task']}")
            return
        unknown = set(names) - set(schedule)
        if unknown:
            raise CommandError(f"Unknown job(s): {', '.join(sorted(unknown))}")
        for name in names or schedule:
            entry = schedule[name]
            task = app.tasks[entry["task"]]
            result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            result.get(propagate=True)
            self.stdout.write(f"{name}: {result.result}")
