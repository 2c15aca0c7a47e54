"""Demo certificates: every demo agent without one gets an active certificate."""

from __future__ import annotations

from weishang.agents.models import Agent, AgentStatus

from . import services
from .models import Certificate, CertificateStatus


def load(ctx: dict) -> None:
    have = Certificate.objects.filter(status=CertificateStatus.ACTIVE).values_list("agent_id", flat=True)
    for agent in Agent.objects.filter(status=AgentStatus.ACTIVE).exclude(pk__in=have).order_by("pk")[:500]:
        cert = services.issue_certificate(agent, issued_by=ctx.get("hq_admin"))
        ctx["created"].append(f"certificate {cert.number}")
    first = Certificate.objects.filter(status=CertificateStatus.ACTIVE).order_by("pk").first()
    if first is not None:
        ctx["certificate_number"] = first.number
