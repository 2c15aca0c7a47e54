"""Demo prepaid balances: HQ top-ups with a reason for the first agents, one top-up by
transfer waiting for the upline's confirmation. Idempotent (fixed reasons)."""

from __future__ import annotations

from weishang.agents.models import Agent

from . import services
from .models import PaymentStatus, TopUp, TopUpMethod


def load(ctx: dict) -> None:
    ctx.setdefault("created", [])
    hq = ctx.get("hq_finance") or ctx.get("hq_admin")
    if hq is None:
        return
    agents = list(Agent.objects.filter(status="active").order_by("depth", "id")[:5])
    for agent in agents:
        reason = f"首批进货预充值 (demo) #{agent.pk}"
        if not TopUp.objects.filter(agent=agent, reason=reason).exists():
            services.hq_topup(agent=agent, amount="5000", currency="CNY", reason=reason, user=hq)
            ctx["created"].append(f"top-up {agent.pk}")
    downline = next((a for a in Agent.objects.filter(status="active").exclude(upline=None).order_by("depth", "id")),
                    None)
    if downline is not None and not TopUp.objects.filter(agent=downline, method=TopUpMethod.UPLINE_TRANSFER,
                                                         status=PaymentStatus.SUBMITTED).exists():
        from weishang.orders.demo import proof_image

        services.request_topup(user=downline.user, amount="1000", currency="CNY", proof=proof_image(),
                               reason="微信转账给上级 (demo)")
        ctx["created"].append(f"top-up request {downline.pk}")
