"""Agent network API: my agent profile, my team (direct / whole, paged), team summary,
a member of my team; HQ: move, freeze, reactivate. An agent sees only its own team: any
other agent's id answers 404, whether or not it exists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from weishang.accounts.auth import session_or_token, staff_only
from weishang.accounts.roles import check_hq
from weishang.core.api import ID_MAX, SAFE_TEXT, BodyId, ErrorOut, PathId
from weishang.core.errors import NotFound, PermissionDenied

from . import selectors, services, upgrades
from .models import Agent, AgentStatus

API_PREFIX = "agents"
router = Router(tags=["agents"], auth=session_or_token)
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
HQ_PERMISSION = "agents.change_agent"


class LevelOut(Schema):
    id: int
    name: str
    rank: int


class TeamSummaryOut(Schema):
    month: date
    team_size: int
    direct_count: int
    team_purchases: str
    own_purchases: str


class AgentOut(Schema):
    id: int
    name: str
    level: LevelOut
    status: str
    depth: int
    upline_id: int | None
    upline_name: str | None
    province_code: str
    city_code: str
    district_code: str
    joined_at: datetime
    summary: TeamSummaryOut


class MemberOut(Schema):
    id: int
    name: str
    level: LevelOut
    status: str
    depth: int
    upline_id: int | None
    direct_count: int
    team_size: int
    own_purchases: str
    team_purchases: str
    joined_at: datetime


class TeamOut(Schema):
    scope: str
    page: int
    has_next: bool
    total: int | None
    month: date
    items: list[MemberOut]


class LevelRuleOut(Schema):
    id: int
    name: str
    rank: int
    currency: str
    single_purchase: str | None = Field(None, description="One restock of at least this reaches the level.")
    cumulative_amount: str | None = Field(None, description="Restocks adding up to this within the period.")
    period_days: int | None
    needs_approval: bool


class ProgressOut(Schema):
    period_start: datetime | None
    period_end: datetime | None = Field(None, description="Exclusive end of the current period.")
    bought: str
    remaining: str | None
    percent: int


class UpgradeRequestOut(Schema):
    id: int
    level: LevelOut
    status: str
    trigger: str
    amount: str
    created_at: datetime
    decided_at: datetime | None
    reason: str


class PriceOut(Schema):
    sku_id: int
    product: str
    sku: str
    price: str
    currency: str
    retail_price: str


class FirstPurchaseOut(Schema):
    required: str
    bought: str
    remaining: str
    currency: str


class MyLevelOut(Schema):
    level: LevelRuleOut
    is_top: bool
    next_level: LevelRuleOut | None
    progress: ProgressOut | None
    pending_request: UpgradeRequestOut | None
    last_decided_request: UpgradeRequestOut | None
    first_purchase: FirstPurchaseOut | None = Field(
        None, description="The level's first stock purchase while still due: the shop takes no orders until then.")
    prices: list[PriceOut]


class AgentReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300, pattern=SAFE_TEXT)


class MoveIn(AgentReasonIn):
    new_upline_id: BodyId | None = Field(None, description="Empty: directly under HQ.")


def _level(a: Agent) -> dict:
    return {"id": a.level_id, "name": a.level.name, "rank": a.level.rank}


def _summary(s: selectors.TeamSummary) -> dict:
    return {"month": s.month, "team_size": s.team_size, "direct_count": s.direct_count,
            "team_purchases": f"{s.team_purchases:.2f}", "own_purchases": f"{s.own_purchases:.2f}"}


def _agent_out(a: Agent, summary: selectors.TeamSummary, upline_name: str | None = None) -> dict:
    return {"id": a.pk, "name": a.name, "level": _level(a), "status": a.status, "depth": a.depth,
            "upline_id": a.upline_id, "upline_name": upline_name, "province_code": a.province_code,
            "city_code": a.city_code, "district_code": a.district_code, "joined_at": a.joined_at,
            "summary": _summary(summary)}


def _member_out(m: selectors.Member) -> dict:
    a = m.agent
    return {"id": a.pk, "name": a.name, "level": _level(a), "status": a.status, "depth": a.depth,
            "upline_id": a.upline_id, "direct_count": a.direct_count, "team_size": a.team_size,
            "own_purchases": f"{m.own_purchases:.2f}", "team_purchases": f"{m.team_purchases:.2f}",
            "joined_at": a.joined_at}


def _my_agent(request) -> Agent:
    agent = Agent.objects.select_related("level", "upline").filter(user=request.user).first()
    if agent is None:
        raise PermissionDenied()
    return agent


def _team(agent: Agent, scope: str, page: int, level: int | None, status: str | None, q: str | None) -> dict:
    tp = selectors.team_page(agent, direct_only=scope == "direct", page=page,
                             filters={"level": level, "status": status, "q": q})
    return {"scope": scope, "page": tp.page, "has_next": tp.has_next, "total": tp.total,
            "month": selectors.this_month(), "items": [_member_out(m) for m in tp.members]}


class TeamQuery(Schema):
    scope: Literal["direct", "whole"] = "direct"
    page: int = Field(1, ge=1, le=10**6)
    level: int | None = Field(None, ge=1, le=ID_MAX)
    status: AgentStatus | None = None
    q: str | None = Field(None, max_length=60, pattern=SAFE_TEXT)


@router.get("/me", response={200: AgentOut, **ERRORS}, summary="My agent profile and team summary")
def me(request):
    agent = _my_agent(request)
    return Status(200, _agent_out(agent, selectors.team_summary(agent),
                                  agent.upline.name if agent.upline_id else None))


def _money(v) -> str | None:
    return None if v is None else f"{v:.2f}"


def _level_rule(lv) -> dict:
    return {"id": lv.pk, "name": lv.name, "rank": lv.rank, "currency": lv.currency,
            "single_purchase": _money(lv.upgrade_single_purchase),
            "cumulative_amount": _money(lv.upgrade_cumulative_amount), "period_days": lv.upgrade_period_days,
            "needs_approval": lv.upgrade_needs_approval}


def _request_out(r) -> dict | None:
    if r is None:
        return None
    return {"id": r.pk, "level": {"id": r.level_id, "name": r.level.name, "rank": r.level.rank},
            "status": r.status, "trigger": r.trigger, "amount": f"{r.amount:.2f}", "created_at": r.created_at,
            "decided_at": r.decided_at, "reason": r.reason}


def _my_level_out(data: upgrades.MyLevel) -> dict:
    p, fp = data.progress, data.first_purchase
    return {
        "level": _level_rule(data.level), "is_top": data.is_top,
        "next_level": _level_rule(data.next_level) if data.next_level else None,
        "progress": None if p is None else {"period_start": p.period_start, "period_end": p.period_end,
                                            "bought": f"{p.bought:.2f}", "remaining": _money(p.remaining),
                                            "percent": p.percent},
        "pending_request": _request_out(data.pending), "last_decided_request": _request_out(data.last_decided),
        "first_purchase": None if fp is None else {"required": f"{fp.required:.2f}", "bought": f"{fp.bought:.2f}",
                                                   "remaining": f"{fp.remaining:.2f}", "currency": fp.currency},
        "prices": [{"sku_id": lp.sku_id, "product": lp.sku.product.name, "sku": lp.sku.name,
                    "price": f"{lp.price:.2f}", "currency": lp.currency,
                    "retail_price": f"{lp.sku.retail_price:.2f}"} for lp in data.prices],
    }


@router.get("/me/level", response={200: MyLevelOut, **ERRORS},
            summary="My level, what the next level needs and my progress, my upgrade request, my prices")
def my_level(request):
    """The data of the "my level" page (weishang.agents.upgrades.my_level), for the agent itself."""
    return Status(200, _my_level_out(upgrades.my_level(_my_agent(request))))


@router.get("/team", response={200: TeamOut, **ERRORS}, summary="My team: direct downlines or whole team, paged")
def my_team(request, query: Query[TeamQuery]):
    agent = _my_agent(request)
    return Status(200, _team(agent, query.scope, query.page, query.level, query.status, query.q))


@router.get("/team/summary", response={200: TeamSummaryOut, **ERRORS}, summary="My team size and purchases this month")
def my_summary(request):
    return Status(200, _summary(selectors.team_summary(_my_agent(request))))


@router.get("/members/{agent_id}", response={200: AgentOut, **ERRORS},
            summary="A member of my team (404 for anyone else)")
def member(request, agent_id: PathId):
    viewer = _my_agent(request)
    agent, summary = selectors.member_detail(viewer, agent_id)
    return Status(200, _agent_out(agent, summary))


@router.get("/members/{agent_id}/team", response={200: TeamOut, **ERRORS},
            summary="The team of a member of my team (404 for anyone else)")
def member_team(request, agent_id: PathId, query: Query[TeamQuery]):
    viewer = _my_agent(request)
    agent, _s = selectors.member_detail(viewer, agent_id)
    return Status(200, _team(agent, query.scope, query.page, query.level, query.status, query.q))


# --- HQ ---------------------------------------------------------------------------------

def _hq_agent(request, agent_id: int) -> Agent:
    check_hq(request.auth, HQ_PERMISSION)
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        raise NotFound()
    return agent


@router.post("/hq/agents/{agent_id}/move", response={200: AgentOut, **ERRORS}, auth=staff_only,
             summary="Move an agent with its whole team to another upline (HQ)")
def hq_move(request, agent_id: PathId, data: MoveIn):
    agent = _hq_agent(request, agent_id)
    target = None
    if data.new_upline_id is not None:
        target = Agent.objects.filter(pk=data.new_upline_id).first()
        if target is None:
            raise NotFound()
    agent = services.move_agent(agent, new_upline=target, actor=request.user, reason=data.reason)
    return Status(200, _agent_out(Agent.objects.select_related("level").get(pk=agent.pk),
                                  selectors.team_summary(agent), target.name if target else None))


@router.post("/hq/agents/{agent_id}/freeze", response={200: AgentOut, **ERRORS}, auth=staff_only,
             summary="Freeze an agent: cannot buy or sell, the team stays (HQ)")
def hq_freeze(request, agent_id: PathId, data: AgentReasonIn):
    agent = services.freeze_agent(_hq_agent(request, agent_id), actor=request.user, reason=data.reason)
    return Status(200, _agent_out(agent, selectors.team_summary(agent)))


@router.post("/hq/agents/{agent_id}/reactivate", response={200: AgentOut, **ERRORS}, auth=staff_only,
             summary="Reactivate a frozen or expired agent (HQ)")
def hq_reactivate(request, agent_id: PathId, data: AgentReasonIn):
    agent = services.reactivate_agent(_hq_agent(request, agent_id), actor=request.user, reason=data.reason)
    return Status(200, _agent_out(agent, selectors.team_summary(agent)))
