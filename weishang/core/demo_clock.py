"""A clock for the demo loader only: run the real services as if it were some days ago.

The demo tells a story over the last weeks (orders paid, shipped, received, completed after
the return window, earnings released by the periodic job, a withdrawal paid out) through the
same services and jobs production uses, so the ledger, order history and stamps agree with
each other. `days_ago(n)` makes `django.utils.timezone.now()` (and so every service stamp and
auto_now_add field) return the real time minus n days while it lasts; time keeps moving, so
events keep their order; nested clocks do not add up. Never used outside `manage.py load_demo`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone

_real_now = timezone.now


@contextmanager
def days_ago(days: float) -> Iterator[None]:
    if not days:
        yield
        return
    before, offset = timezone.now, timedelta(days=days)
    timezone.now = lambda: _real_now() - offset  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = before  # type: ignore[assignment]
