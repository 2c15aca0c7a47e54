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

from django.db import connection, transaction
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
from .selectors import net_purchases

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


def _lock_rows_in_order(model, **filters) -> None:
    """Row-lock the matching rows in primary-key order before a multi-row UPDATE.

    PostgreSQL's UPDATE locks rows in scan order, which differs between two statements once
    tuples have moved (a seq scan over freshly updated rows): two UPDATEs of overlapping
    upline chains then deadlock. Locking first in one order makes them queue. SQLite
    serialises writers anyway, so there it costs nothing."""
    if not connection.features.has_select_for_update:
        return
    list(model.objects.select_for_update(no_key=True).filter(**filters).order_by("pk").values_list("pk", flat=True))


def _lock(agent: Agent | int) -> Agent:
    pk = agent.pk if isinstance(agent, Agent) else agent
    return Agent.objects.select_for_update(no_key=True, of=("self",)).select_related("level").get(pk=pk)


def _event(agent: Agent, kind: str, *, actor=None, reason: str = "", **fields) -> AgentEvent:
    return AgentEvent.objects.create(agent=agent, kind=kind, actor=actor if getattr(actor, "pk", None) else None,
                                     reason=reason, **fields)


FROM_LEVEL: Any = object()  # create_agent's default: the level's first stock purchase applies


@transaction.atomic
def create_agent(*, user, name: str, level, upline: Agent | None = None, recruiter: Agent | None = None,
                 actor=None, reason: str = "", first_purchase: Decimal | None = FROM_LEVEL, **fields) -> Agent:
    """Place a new agent in the tree under `upline` (None: directly under HQ).
    Maintains the team size of every upline and the direct count of `upline`.

    `first_purchase`: the first stock purchase the agent must buy before its shop takes
    consumer orders, frozen on the agent now. By default the level's (so applications
    approved through recruitment follow the level); HQ creating an agent directly may pass
    None to waive it (the demo does). Setting it on a level later binds only agents who
    join afterwards."""
    if first_purchase is FROM_LEVEL:
        first_purchase = getattr(level, "first_purchase_amount", None)
    if first_purchase is not None:
        first_purchase = Decimal(first_purchase)
        fields["first_purchase_required"] = first_purchase if first_purchase > 0 else None
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
        _lock_rows_in_order(Agent, pk__in=agent.ancestor_ids)
        Agent.objects.filter(pk__in=agent.ancestor_ids).update(team_size=F("team_size") + 1)
        Agent.objects.filter(pk=upline.pk).update(direct_count=F("direct_count") + 1)
    _event(agent, EventKind.JOINED, actor=actor or user, reason=str(reason or ""), to_upline=upline,
           to_level=level, to_status=agent.status)
    return agent


def _ensure_months(agent_ids: list[int], months: list[date]) -> None:
    if agent_ids and months:
        AgentMonth.objects.bulk_create([AgentMonth(agent_id=a, month=m) for a in sorted(agent_ids)
                                        for m in sorted(months)], ignore_conflicts=True)


def _volume_target(agent: Agent, currency: str | None) -> tuple[list[int], str, Decimal | None, Any]:
    """(ancestor ids, level currency, first purchase required, first purchase done at) in one
    query; refuses an amount in another currency than the agent's level (one currency per
    brand: totals and thresholds add amounts without converting)."""
    row = (Agent.objects.filter(pk=agent.pk)
           .values_list("path", "level__currency", "first_purchase_required", "first_purchase_done_at").first())
    if row is None:
        raise DomainError(_("Unknown agent."), code="not_found", status=404)
    path, level_currency, required, done_at = row
    if currency and level_currency and currency != level_currency:
        raise DomainError(_("A purchase in %(got)s cannot count toward levels set in %(want)s: purchase volume "
                            "is kept in one currency per brand.") % {"got": currency, "want": level_currency},
                          code="currency_mismatch")
    return path_ids(path)[:-1], level_currency, required, done_at


def _add_to_months(agent_id: int, ancestors: list[int], month: date, amount: Decimal) -> None:
    # One UPDATE for the agent's row and its uplines' rows: its row locks are taken in one
    # index order, so concurrent purchases in one line of the tree queue instead of deadlocking.
    zero = Value(Decimal("0"), output_field=AgentMonth._meta.get_field("own_total"))
    AgentMonth.objects.filter(agent_id__in=[agent_id, *ancestors], month=month).update(
        own_total=F("own_total") + Case(When(agent_id=agent_id, then=Value(amount)), default=zero),
        team_total=F("team_total") + Case(When(agent_id=agent_id, then=zero), default=Value(amount)))


@transaction.atomic
def record_purchase_volume(agent: Agent, amount: Decimal, at: datetime, *, currency: str | None = None) -> None:
    """Count a paid restock of `amount` at `at` toward the agent's volume: one purchase row,
    the agent's own monthly total and the team total of every upline (one upsert and one
    UPDATE whatever the depth), the first stock purchase if it is still due, then the level
    upgrade rules (weishang.agents.upgrades). `currency`: the purchase's, refused when it is
    not the agent's level currency."""
    amount = Decimal(amount)
    if amount < 0:
        raise DomainError(_("A purchase amount cannot be negative."), code="negative_amount")
    ancestors, _cur, required, done_at = _volume_target(agent, currency)
    AgentPurchase.objects.create(agent_id=agent.pk, amount=amount, at=at)
    month = month_of(at)
    _ensure_months([agent.pk, *ancestors], [month])
    _lock_rows_in_order(AgentMonth, agent_id__in=[agent.pk, *ancestors], month=month)
    _add_to_months(agent.pk, ancestors, month, amount)
    if required is not None and done_at is None and net_purchases(agent.pk) >= required:
        Agent.objects.filter(pk=agent.pk, first_purchase_done_at__isnull=True).update(first_purchase_done_at=at)
    apply = _upgrade_hook()
    if apply is not None:
        apply(agent, amount, at)


@transaction.atomic
def reverse_purchase_volume(agent: Agent, amount: Decimal, at: datetime, *, reason: Any,
                            currency: str | None = None) -> Decimal:
    """Take back `amount` of a purchase counted at `at` (a refunded restock): a negative
    purchase row dated `at`, so the purchase's month and upgrade period see the net, and the
    agent's own and every upline's team total of that month lowered by the same amount.

    Never below zero: at most the agent's own total of that month is taken back; returns
    what was. A level already reached is kept (HQ changes levels by hand); a request waiting
    for HQ is withdrawn when the purchases that met its rule no longer do. The first stock
    purchase counts as due again when the net purchases fall below it."""
    amount = Decimal(amount)
    if amount < 0:
        raise DomainError(_("A purchase amount cannot be negative."), code="negative_amount")
    text = _reason(reason)[:200]
    ancestors, _cur, required, done_at = _volume_target(agent, currency)
    month = month_of(at)
    # Lock the month rows of the agent and its uplines in one index order (as the UPDATE of
    # a purchase does), then read the agent's own total: two refunds at once cannot both
    # take back the same money.
    rows = list(AgentMonth.objects.select_for_update().filter(agent_id__in=[agent.pk, *ancestors], month=month)
                .order_by("agent_id").values_list("agent_id", "own_total"))
    own = next((total for a, total in rows if a == agent.pk), Decimal(0))
    take = min(amount, Decimal(own))
    if take <= 0:
        return Decimal(0)
    AgentPurchase.objects.create(agent_id=agent.pk, amount=-take, at=at, reason=text)
    _add_to_months(agent.pk, ancestors, month, -take)
    if required is not None and done_at is not None and net_purchases(agent.pk) < required:
        Agent.objects.filter(pk=agent.pk).update(first_purchase_done_at=None)
    recheck = _upgrade_hook("recheck_pending")
    if recheck is not None:
        recheck(agent)
    return take


def _upgrade_hook(name: str = "apply_purchase"):
    """weishang.agents.upgrades.<name> when that module exists (levels area)."""
    if importlib.util.find_spec("weishang.agents.upgrades") is None:
        return None
    return getattr(importlib.import_module("weishang.agents.upgrades"), name, None)


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
    _lock_rows_in_order(Agent, pk__in=sorted(set(old_ancestors) | set(new_ancestors)))
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
