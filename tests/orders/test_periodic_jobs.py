"""`manage.py run_periodic_jobs` runs every BEAT job of every installed app once."""

from __future__ import annotations

import ast
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command

import weishang

pytestmark = pytest.mark.django_db


def _beat_names_on_disk() -> set[str]:
    """Every BEAT entry name of every weishang app, read from the files (not from settings)."""
    names: set[str] = set()
    installed = {cfg.name for cfg in apps.get_app_configs()}
    for path in Path(weishang.__file__).parent.glob("*/schedule.py"):
        if f"weishang.{path.parent.name}" not in installed:
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "BEAT" for t in node.targets):
                names |= set(ast.literal_eval(node.value))
    return names


def _run(*args) -> dict[str, str]:
    out = StringIO()
    call_command("run_periodic_jobs", *args, stdout=out)
    return dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)


def test_runs_every_job_of_every_app_on_a_fresh_db():
    expected = _beat_names_on_disk()
    assert {"orders-expire-unpaid", "earnings-release", "payments-purge-idempotency"} <= expected
    ran = _run()
    assert set(ran) == expected


def test_a_later_app_is_discovered_through_its_schedule(monkeypatch):
    real = apps.get_app_configs

    monkeypatch.setattr(apps, "get_app_configs", lambda: [*real(), SimpleNamespace(name="tests.orders.fake_periodic")])
    listed = _run("--list")
    assert listed["fake-periodic-ping"] == "tests.orders.fake_periodic.tasks.ping"
    assert _run("fake-periodic-ping") == {"fake-periodic-ping": "pong"}


def test_unknown_job_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown job"):
        _run("no-such-job")


def test_celery_beat_gets_every_app_schedule_too():
    from django.conf import settings

    assert set(settings.CELERY_BEAT_SCHEDULE) == _beat_names_on_disk()
