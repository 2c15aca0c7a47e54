"""Agent network writes."""

from __future__ import annotations

from django.db import transaction

from .models import Agent


@transaction.atomic
def create_agent(*, user, name: str, level, upline: Agent | None = None, recruiter: Agent | None = None,
                 **fields) -> Agent:
    """Place a new agent in the tree under `upline` (None: directly under HQ)."""
    agent = Agent.objects.create(user=user, name=name, level=level, upline=upline,
                                 recruiter=recruiter if recruiter is not None else upline, path="", **fields)
    parent_path = upline.path if upline is not None else "/"
    agent.path = f"{parent_path}{agent.pk}/"
    agent.depth = upline.depth + 1 if upline is not None else 0
    Agent.objects.filter(pk=agent.pk).update(path=agent.path, depth=agent.depth)
    return agent
