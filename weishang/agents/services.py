"""Agent network writes: placing, moving, freezing and expiring agents, level changes, and
purchase volume. Each keeps the maintained tree totals (Agent.team_size/direct_count,
AgentMonth) equal to what a recomputation over the tree would give, with a bounded number
of set-based statements whatever the size of the team."""

from __future__ import annotations

import importlib
import importlib.util
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import Conflict, DomainError

from .models import (
    Agent,
    AgentEvent,
    AgentMonth,
    AgentPurchase,
    AgentStatus,
    EventKind,
    Level,
    path_ids,
    path_segment,
    subtree_q,
)

MAX_DEPTH = 20  # far beyond any real brand (12 is a lot); keeps `path` inside its 255 characters


def month_of(at: datetime | date) -> date:
    """The first day of the month of `at`, in local time (the brand's zone)."""
    if isinstance(at, datetime):
        at = timezone.localtime(at) if timezone.is_aware(at) else at
        at = at.date()
    return at.replace(day=1)


def _reason(reason: Any) -> str:
    text = str(reason or "").strip()
    if not text:
        raise DomainError(_("Give a reason: it is kept in the agent's history."), code="reason_required",
                          fields={"reason": [_("This field is required.")]})
    return text[:300]


def _lock(agent: Agent | int) -> Agent:
    pk = agent.pk if isinstance(agent, Agent) else agent
    return Agent.objects.select_for_update().select_related("level").get(pk=pk)


def _event(agent: Agent, kind: str, *, actor=None, reason: str = "", **fields) -> AgentEvent:
    return AgentEvent.objects.create(agent=agent, kind=kind, actor=actor if getattr(actor, "pk", None) else None,
                                     reason=reason, **fields)


@transaction.atomic
def create_agent(*, user, name: str, level, upline: Agent | None = None, recruiter: Agent | None = None,
                 actor=None, reason: str = "", **fields) -> Agent:
    """Place a new agent in the tree under `upline` (None: directly under HQ).
    Maintains the team size of every upline and the direct count of `upline`."""
    if upline is not None:
        upline = Agent.objects.only("pk", "path", "depth").get(pk=upline.pk)
        if upline.depth + 1 > MAX_DEPTH:
            raise DomainError(_("The tree cannot be deeper than %(n)d levels.") % {"n": MAX_DEPTH},
                              code="too_deep")
    agent = Agent.objects.create(user=user, name=name, level=level, upline=upline,
                                 recruiter=recruiter if recruiter is not None else upline, path="", **fields)
    parent_path = upline.path if upline is not None else "/"
    agent.path = parent_path + path_segment(agent.pk)
    agent.depth = upline.depth + 1 if upline is not None else 0
    Agent.objects.filter(pk=agent.pk).update(path=agent.path, depth=agent.depth)
    if upline is not None:
        Agent.objects.filter(pk__in=agent.ancestor_ids).update(team_size=F("team_size") + 1)
        Agent.objects.filter(pk=upline.pk).update(direct_count=F("direct_count") + 1)
    _event(agent, EventKind.JOINED, actor=actor or user, reason=str(reason or ""), to_upline=upline,
           to_level=level, to_status=agent.status)
    return agent


def _ensure_months(agent_ids: list[int], months: list[date]) -> None:
    if agent_ids and months:
        AgentMonth.objects.bulk_create([AgentMonth(agent_id=a, month=m) for a in sorted(agent_ids)
                                        for m in sorted(months)], ignore_conflicts=True)


@transaction.atomic
def record_purchase_volume(agent: Agent, amount: Decimal, at: datetime) -> None:
    """Count a paid restock of `amount` at `at` toward the agent's volume: one purchase row,
    the agent's own monthly total and the team total of every upline (one upsert and one
    UPDATE whatever the depth), then the level upgrade rules (weishang.agents.upgrades)."""
    amount = Decimal(amount)
    if amount < 0:
        raise DomainError(_("A purchase amount cannot be negative."), code="negative_amount")
    path = Agent.objects.filter(pk=agent.pk).values_list("path", flat=True).first()
    if path is None:
        raise DomainError(_("Unknown agent."), code="not_found", status=404)
    ancestors = path_ids(path)[:-1]
    AgentPurchase.objects.create(agent_id=agent.pk, amount=amount, at=at)
    month = month_of(at)
    _ensure_months([agent.pk, *ancestors], [month])
    # One UPDATE for the agent's row and its uplines' rows: its row locks are taken in one
    # index order, so concurrent purchases in one line of the tree queue instead of deadlocking.
    zero = Value(Decimal("0"), output_field=AgentMonth._meta.get_field("own_total"))
    AgentMonth.objects.filter(agent_id__in=[agent.pk, *ancestors], month=month).update(
        own_total=F("own_total") + Case(When(agent_id=agent.pk, then=Value(amount)), default=zero),
        team_total=F("team_total") + Case(When(agent_id=agent.pk, then=zero), default=Value(amount)))
    apply = _upgrade_hook()
    if apply is not None:
        apply(agent, amount, at)


def _upgrade_hook():
    """weishang.agents.upgrades.apply_purchase when that module exists (levels area)."""
    if importlib.util.find_spec("weishang.agents.upgrades") is None:
        return None
    return getattr(importlib.import_module("weishang.agents.upgrades"), "apply_purchase", None)


@transaction.atomic
def move_agent(agent: Agent, *, new_upline: Agent | None, actor, reason: Any) -> Agent:
    """Move `agent` with its whole team under `new_upline` (None: directly under HQ).

    Refuses a move under the agent itself or anyone in its team. Paths and depths of the
    whole subtree are rewritten by one UPDATE; team sizes, direct counts and the monthly
    team totals of the old and new uplines are corrected with a few set-based UPDATEs.
    The recruiter stays as recorded."""
    text = _reason(reason)
    agent = _lock(agent)
    target = _lock(new_upline) if new_upline is not None else None
    if target is not None and (target.pk == agent.pk or target.path.startswith(agent.path)):
        raise Conflict(_("An agent cannot be moved under itself or under its own team."), code="move_into_own_team")
    if (target.pk if target else None) == agent.upline_id:
        raise Conflict(_("The agent is already under this upline."), code="same_upline")
    new_parent_path = target.path if target is not None else "/"
    new_path = new_parent_path + path_segment(agent.pk)
    new_depth = target.depth + 1 if target is not None else 0
    delta = new_depth - agent.depth
    if new_depth + _subtree_height(agent) > MAX_DEPTH:
        raise DomainError(_("The tree cannot be deeper than %(n)d levels.") % {"n": MAX_DEPTH}, code="too_deep")
    old_path, old_upline_id = agent.path, agent.upline_id
    old_ancestors = agent.ancestor_ids
    new_ancestors = path_ids(new_parent_path)
    moving = agent.team_size + 1

    # 1. Paths and depths of the whole subtree (one UPDATE, prefix swap).
    Agent.objects.filter(subtree_q(old_path)).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)), depth=F("depth") + delta)
    Agent.objects.filter(pk=agent.pk).update(upline=target)
    # 2. Counters of the old and the new uplines.
    if old_upline_id is not None:
        Agent.objects.filter(pk__in=old_ancestors).update(team_size=F("team_size") - moving)
        Agent.objects.filter(pk=old_upline_id).update(direct_count=F("direct_count") - 1)
    if target is not None:
        Agent.objects.filter(pk__in=new_ancestors).update(team_size=F("team_size") + moving)
        Agent.objects.filter(pk=target.pk).update(direct_count=F("direct_count") + 1)
    # 3. Monthly team totals: the subtree's total of a month is the agent's own + team.
    _move_month_totals(agent.pk, old_ancestors, new_ancestors)

    _event(agent, EventKind.MOVED, actor=actor, reason=text, from_upline_id=old_upline_id, to_upline=target,
           team_size=agent.team_size)
    agent.refresh_from_db()
    return agent


def _subtree_height(agent: Agent) -> int:
    deepest = (Agent.objects.filter(subtree_q(agent.path)).order_by("-depth")
               .values_list("depth", flat=True).first())
    return (deepest or agent.depth) - agent.depth


def _move_month_totals(agent_id: int, old_ancestors: list[int], new_ancestors: list[int]) -> None:
    months = AgentMonth.objects.filter(agent_id=agent_id).values_list("month", "own_total", "team_total")
    rows = [(m, own + team) for m, own, team in months if own + team]
    if not rows:
        return
    _ensure_months(new_ancestors, [m for m, _t in rows])
    # One UPDATE per month with purchases in the moved team (a few dozen at most: months
    # of history), each touching at most depth rows.
    for month, total in rows:
        if old_ancestors:
            AgentMonth.objects.filter(agent_id__in=old_ancestors, month=month).update(
                team_total=F("team_total") - total)
        if new_ancestors:
            AgentMonth.objects.filter(agent_id__in=new_ancestors, month=month).update(
                team_total=F("team_total") + total)


def _set_status(agent: Agent, to: str, kind: str, *, allowed_from: tuple[str, ...], actor, reason: str,
                message) -> Agent:
    agent = _lock(agent)
    if agent.status == to:
        return agent
    if agent.status not in allowed_from:
        raise Conflict(message, code="illegal_status")
    before = agent.status
    Agent.objects.filter(pk=agent.pk).update(status=to)
    agent.status = to
    _event(agent, kind, actor=actor, reason=reason, from_status=before, to_status=to)
    return agent


@transaction.atomic
def freeze_agent(agent: Agent, *, actor, reason: Any) -> Agent:
    """Frozen: cannot buy or sell; the team stays where it is."""
    return _set_status(agent, AgentStatus.FROZEN, EventKind.FROZEN, allowed_from=(AgentStatus.ACTIVE,),
                       actor=actor, reason=_reason(reason), message=_("Only an active agent can be frozen."))


@transaction.atomic
def reactivate_agent(agent: Agent, *, actor, reason: Any) -> Agent:
    return _set_status(agent, AgentStatus.ACTIVE, EventKind.REACTIVATED,
                       allowed_from=(AgentStatus.FROZEN, AgentStatus.EXPIRED), actor=actor, reason=_reason(reason),
                       message=_("Only a frozen or expired agent can be reactivated."))


@transaction.atomic
def expire_agent(agent: Agent, *, reason: Any, actor=None) -> Agent:
    """The agent's authorisation lapsed (certificates call this). A frozen agent expires too."""
    return _set_status(agent, AgentStatus.EXPIRED, EventKind.EXPIRED,
                       allowed_from=(AgentStatus.ACTIVE, AgentStatus.FROZEN), actor=actor, reason=_reason(reason),
                       message=_("This agent cannot expire."))


@transaction.atomic
def change_level(agent: Agent, level: Level, *, actor, reason: Any) -> Agent:
    """Set the agent's level (upgrades, HQ decisions) and record it. The agent stays in its
    upline's team whatever the level."""
    text = _reason(reason)
    agent = _lock(agent)
    if agent.level_id == level.pk:
        return agent
    before = agent.level
    Agent.objects.filter(pk=agent.pk).update(level=level)
    agent.level = level
    _event(agent, EventKind.LEVEL, actor=actor, reason=text, from_level=before, to_level=level)
    return agent
