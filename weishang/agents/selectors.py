"""Reads over the agent tree. Each costs a fixed number of queries whatever the depth and
the size of the team: team sizes and purchase totals come from maintained counters
(Agent.team_size/direct_count, AgentMonth), never from a sum over the subtree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied as Forbidden
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

from .models import Agent, AgentMonth, AgentPurchase, LevelPrice, path_order, subtree_q

ZERO = Decimal("0.00")
PAGE_SIZE = 20


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def agent_of(user, *related: str) -> Agent | None:
    """The agent a signed-in user is, with its level (and `related`) joined in; None for
    anyone else (anonymous, consumers, HQ staff without an agent)."""
    if not getattr(user, "pk", None):
        return None
    return Agent.objects.select_related("level", *related).filter(user_id=user.pk).first()


def own_agent_or_403(user, *related: str) -> Agent:
    """For pages only agents open: the user's agent, else 403."""
    agent = agent_of(user, *related)
    if agent is None:
        raise Forbidden
    return agent


def upline_chain(agent: Agent) -> list[Agent]:
    """The agent's uplines, nearest first (one query)."""
    ids = agent.ancestor_ids
    if not ids:
        return []
    by_id = Agent.objects.select_related("level").in_bulk(ids)
    return [by_id[i] for i in reversed(ids) if i in by_id]


def level_price(level_id: int, sku_id: int) -> Decimal:
    price = LevelPrice.objects.filter(level_id=level_id, sku_id=sku_id).values_list("price", flat=True).first()
    if price is None:
        raise DomainError(_("This SKU has no price for your level yet."), code="no_level_price")
    return price


@dataclass(frozen=True)
class TeamSummary:
    team_size: int
    direct_count: int
    team_purchases: Decimal  # whole team (everyone below), this month
    own_purchases: Decimal  # the agent itself, this month
    month: date

    def __iter__(self):  # unpacks as (team size, direct count, team purchase total)
        return iter((self.team_size, self.direct_count, self.team_purchases))


def team_summary(agent: Agent | int, month: date | None = None) -> TeamSummary:
    """Team size, direct count and this month's purchases (one query)."""
    month = month or this_month()
    pk = agent.pk if isinstance(agent, Agent) else agent
    mrow = AgentMonth.objects.filter(agent_id=OuterRef("pk"), month=month)
    row = (Agent.objects.filter(pk=pk)
           .annotate(m_team=Subquery(mrow.values("team_total")[:1]), m_own=Subquery(mrow.values("own_total")[:1]))
           .values("team_size", "direct_count", "m_team", "m_own").first())
    if row is None:
        raise DomainError(_("Unknown agent."), code="not_found", status=404)
    return TeamSummary(row["team_size"], row["direct_count"], Decimal(row["m_team"] or ZERO),
                       Decimal(row["m_own"] or ZERO), month)


def is_in_team(viewer: Agent | None, agent: Agent) -> bool:
    """Whether `agent` is below `viewer` at any depth (an agent is not in its own team)."""
    if viewer is None or agent is None or viewer.pk == agent.pk:
        return False
    return agent.path.startswith(viewer.path)


@dataclass
class Member:
    agent: Agent
    own_purchases: Decimal
    team_purchases: Decimal


@dataclass
class TeamPage:
    members: list[Member]
    page: int
    has_next: bool
    total: int | None  # known without counting when no filter is set
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.page > 1


FILTERS = ("level", "status", "q")


def team_page(agent: Agent, *, direct_only: bool, page: int = 1, filters: dict | None = None,
              page_size: int = PAGE_SIZE, month: date | None = None) -> TeamPage:
    """One page of the agent's direct team (ordered by joining) or whole team (tree order),
    each member with its level and this month's purchases. Two queries, no COUNT over the
    team: `total` comes from the maintained counters when there is no filter, and
    `has_next` from fetching one row more than a page."""
    month = month or this_month()
    page = max(1, min(int(page or 1), 10**6))
    filters = {k: v for k, v in (filters or {}).items() if k in FILTERS and v not in (None, "")}
    if direct_only:
        qs = Agent.objects.filter(upline_id=agent.pk).order_by("id")
    else:
        qs = Agent.objects.filter(subtree_q(agent.path)).exclude(pk=agent.pk).order_by(path_order())
    if "level" in filters:
        qs = qs.filter(level_id=filters["level"])
    if "status" in filters:
        qs = qs.filter(status=filters["status"])
    if "q" in filters:
        qs = qs.filter(name__icontains=str(filters["q"])[:60])
    start = (page - 1) * page_size
    rows = list(qs.select_related("level", "user")[start:start + page_size + 1])
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    months = {m.agent_id: m for m in AgentMonth.objects.filter(agent_id__in=[a.pk for a in rows], month=month)}
    members = [Member(a, months[a.pk].own_total if a.pk in months else ZERO,
                      months[a.pk].team_total if a.pk in months else ZERO) for a in rows]
    total = None
    if not filters:
        total = agent.direct_count if direct_only else agent.team_size
    return TeamPage(members, page, has_next, total, filters)


def member_detail(viewer: Agent, agent_id: int) -> tuple[Agent, TeamSummary]:
    """A member of the viewer's team with its summary; NotFound for anyone else (the
    answer does not tell whether the id exists)."""
    from weishang.core.errors import NotFound

    agent = Agent.objects.select_related("level", "user").filter(pk=agent_id).first()
    if agent is None or not is_in_team(viewer, agent):
        raise NotFound()
    return agent, team_summary(agent)


def net_purchases(agent_id: int) -> Decimal:
    """Everything the agent bought since joining, net of refunds (one query)."""
    total = AgentPurchase.objects.filter(agent_id=agent_id).aggregate(t=Sum("amount"))["t"]
    return Decimal(total or 0)


@dataclass(frozen=True)
class FirstPurchase:
    required: Decimal
    bought: Decimal
    currency: str

    @property
    def remaining(self) -> Decimal:
        return max(self.required - self.bought, Decimal(0))

    @property
    def percent(self) -> int:
        return 100 if not self.remaining else max(0, min(int(self.bought * 100 / self.required), 99))


def first_purchase_due(agent: Agent) -> FirstPurchase | None:
    """The level's first stock purchase while it is still due (one query; none when it is
    not due: the agent row says so). Until it is bought the agent's shop takes no orders."""
    required = agent.first_purchase_required
    if required is None or not agent.first_purchase_pending:
        return None
    return FirstPurchase(required, net_purchases(agent.pk), agent.level.currency)
