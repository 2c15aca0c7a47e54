"""Demo recruitment: an open invite from an agent (or HQ when there are no agents yet) and
one application waiting for that inviter's decision."""

from __future__ import annotations

from weishang.agents.models import Agent, AgentStatus, Level

from . import services
from .models import Application, Invite

APPLICANT = ("+8613800000088", "林小雨")
NOTE = "demo"


def load(ctx: dict) -> None:
    lowest = Level.objects.filter(is_active=True).order_by("-rank").first()
    if lowest is None:
        return
    inviter = (Agent.objects.select_related("level", "user").filter(status=AgentStatus.ACTIVE, level__rank__lte=lowest.rank)
               .order_by("depth", "pk").first())
    by = inviter.user if inviter is not None else ctx.get("hq_admin")
    if by is None:
        return
    invite = Invite.objects.filter(note=NOTE, created_by=by, revoked_at=None).order_by("-pk").first()
    if invite is None or not invite.is_open:
        invite = services.create_invite(user=by, level=lowest, valid_days=90, note=NOTE)
        ctx["created"].append("invite")
    ctx["invite"] = invite
    if not Application.objects.filter(phone=APPLICANT[0]).exists():
        services.apply(token=invite.token, name=APPLICANT[1], phone=APPLICANT[0], wechat_id="linxiaoyu_88",
                       province_code="440000", city_code="440300", district_code="440305",
                       password="Lanxi-Demo-2026")
        ctx["created"].append("application")
