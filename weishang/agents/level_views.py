"""The agent's "my level" page: its level, what the next level needs and how far it is,
its pending upgrade request, and its level's price for each SKU. Only the agent's own data:
the page takes no id."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import upgrades
from .selectors import own_agent_or_403


@login_required
@require_GET
def progress(request):
    agent = own_agent_or_403(request.user)
    data = upgrades.my_level(agent)
    last_day = None
    if data.progress is not None and data.progress.period_end is not None:
        last_day = timezone.localtime(data.progress.period_end - timedelta(microseconds=1)).date()
    return render(request, "agents/level_progress.html", {"agent": agent, "data": data, "last_day": last_day})
