"""Agent phone pages: the agent hub ("我的代理") and the team pages. An agent sees only its
own team: a member page for anyone outside it answers 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from weishang.core.errors import NotFound

from . import selectors
from .models import Agent, AgentStatus, Level
from .selectors import own_agent_or_403

# Other areas' agent pages linked from the hub, shown when their URL exists.
# (url name, label). Certificates, invites and applications go in the marked spot below.
HUB_LINKS = [
    ("orders:restock", _("Restock")),
    ("orders:list", _("My orders")),
    ("inventory:mine", _("Cloud stock")),
    ("codes:ship_home", _("Ship by scanning codes")),
    ("earnings:home", _("My earnings")),
    ("agents:level", _("My level and progress")),
    ("certificates:mine", _("My certificate")),
    ("recruitment:invites", _("Invite agents")),
    ("recruitment:inbox", _("Applications waiting for me")),
]


def _links(names) -> list[tuple[str, str]]:
    # A missing URL name fails loudly (NoReverseMatch) instead of hiding a link.
    return [(reverse(name), label) for name, label in names]



def _currency(agent: Agent) -> str:
    return getattr(agent.level, "currency", "") or "CNY"


@login_required
@require_GET
def hub(request):
    agent = own_agent_or_403(request.user, "upline")
    return render(request, "agents/hub.html", {
        "agent": agent, "summary": selectors.team_summary(agent), "currency": _currency(agent),
        "links": _links(HUB_LINKS), "first_purchase": selectors.first_purchase_due(agent),
    })


def _team_context(request, viewer: Agent, agent: Agent) -> dict:
    scope = "whole" if request.GET.get("scope") == "whole" else "direct"
    try:
        page = max(1, min(int(request.GET.get("page") or 1), 10**6))
    except ValueError:
        page = 1
    level = request.GET.get("level") or ""
    status = request.GET.get("status") or ""
    q = (request.GET.get("q") or "").strip()[:60]
    filters = {"level": int(level) if level.isdigit() else None,
               "status": status if status in AgentStatus.values else None, "q": q or None}
    tp = selectors.team_page(agent, direct_only=scope == "direct", page=page, filters=filters)
    return {"viewer": viewer, "agent": agent, "tp": tp, "scope": scope, "currency": _currency(viewer),
            "summary": selectors.team_summary(agent), "levels": Level.objects.filter(is_active=True),
            "statuses": AgentStatus.choices, "level": level, "status": status, "q": q}


def _render_team(request, ctx: dict):
    if request.headers.get("HX-Request") and request.GET.get("part") == "rows":
        return render(request, "agents/_team_rows.html", ctx)
    return render(request, "agents/team.html", ctx)


@login_required
@require_GET
def team(request):
    viewer = own_agent_or_403(request.user, "upline")
    return _render_team(request, _team_context(request, viewer, viewer))


@login_required
@require_GET
def member(request, agent_id: int):
    """A member of my team (any depth): its summary and its own team."""
    viewer = own_agent_or_403(request.user, "upline")
    try:
        agent, _s = selectors.member_detail(viewer, agent_id)
    except NotFound:
        raise Http404 from None
    ctx = _team_context(request, viewer, agent)
    ctx["chain"] = [a for a in selectors.upline_chain(agent) if a.depth >= viewer.depth]
    return _render_team(request, ctx)
