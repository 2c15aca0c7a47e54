"""Load the demo brand (澜溪 LANXI) and print the demo logins. Safe to run again.

Order: accounts (HQ staff per role, consumer, supplier user), catalog (supplier, 3 lines,
8 SKUs, images), then every later app that has `weishang/<app>/demo.py` with
`load(ctx)`: agents, inventory, orders, payments, earnings, codes. Each app loads in its
own transaction and must be idempotent; ctx carries the objects made so far and
`ctx["logins"]`, a list of (role label, phone, password) printed at the end.
"""

from __future__ import annotations

import importlib
import importlib.util
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

APPS = ("accounts", "catalog", "agents", "recruitment", "certificates", "inventory", "orders", "payments", "earnings", "codes")


def _row_count() -> int:
    from django.apps import apps as registry

    skip = {"sessions", "admin", "contenttypes"}
    return sum(m._default_manager.count() for m in registry.get_models() if m._meta.app_label not in skip)


def _display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def demo_module(app: str):
    name = f"weishang.{app}.demo"
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name) if spec is not None else None


class Command(BaseCommand):
    help = "Create the demo brand, people and data (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="*", choices=APPS, help="Load only these apps' demo data.")
        parser.add_argument("--language", default="zh-hans", help="Language of the printed labels.")

    def handle(self, *args, only=None, language="zh-hans", **options):
        self.verbosity = options.get("verbosity", 1)
        with translation.override(language):
            ctx = self.load(only or APPS)
            self.print_logins(ctx)
        return None

    def load(self, apps) -> dict:
        ctx: dict = {"logins": [], "created": []}
        rows_before = _row_count()
        for app in APPS:
            if app not in apps:
                continue
            module = demo_module(app)
            if module is None or not hasattr(module, "load"):
                continue
            before = _row_count() if self.verbosity > 1 else 0
            try:
                with transaction.atomic():
                    module.load(ctx)
            except Exception as exc:
                raise CommandError(f"demo data for {app} failed: {exc!r}") from exc
            if self.verbosity > 1:
                self.stdout.write(f"{app}: {_row_count() - before} new rows")
        # Count rows rather than trusting each app to report what it made.
        made = _row_count() - rows_before
        self.stdout.write(_("Demo data: %(n)d new records.") % {"n": made} if made
                          else _("Demo data already loaded: nothing new."))
        return ctx

    def print_logins(self, ctx: dict) -> None:
        from django.conf import settings

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Demo logins (%(url)s/accounts/login/)") % {"url": settings.SITE_URL}))
        seen = set()
        width = max((_display_width(str(label)) for label, _p, _w in ctx["logins"]), default=10) + 2
        for label, phone, password in ctx["logins"]:
            if (label, phone) in seen:
                continue
            seen.add((label, phone))
            shown = password if password else _("(password was changed)")
            pad = " " * (width - _display_width(str(label)))
            self.stdout.write(f"  {label}{pad} {phone}  {shown}")
        self.stdout.write(_("HQ back office: %(url)s/admin/   API docs: %(url)s/api/docs")
                          % {"url": settings.SITE_URL})
