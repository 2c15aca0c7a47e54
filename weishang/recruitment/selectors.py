"""Recruitment reads."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Application, ApplicationStatus, Invite, Stage


def my_invites(user) -> QuerySet[Invite]:
    """Invites this person made (an agent's own; HQ staff's own HQ invites)."""
    return Invite.objects.select_related("level").filter(created_by=user)


def waiting_for_agent(agent) -> QuerySet[Application]:
    return (Application.objects.select_related("level")
            .filter(inviter=agent, status=ApplicationStatus.PENDING, stage=Stage.UPLINE).order_by("created_at"))


def decided_by_agent(agent, limit: int = 20) -> list[Application]:
    return list(Application.objects.select_related("level").filter(inviter=agent)
                .exclude(stage=Stage.UPLINE).order_by("-created_at")[:limit])


def waiting_for_hq() -> QuerySet[Application]:
    return (Application.objects.select_related("level", "inviter")
            .filter(status=ApplicationStatus.PENDING, stage=Stage.HQ).order_by("created_at"))


def for_phone(phone: str) -> QuerySet[Application]:
    return Application.objects.select_related("level").filter(phone=phone).order_by("-created_at")


def status_by_ref(ref: str) -> Application | None:
    ref = (ref or "").strip().upper()
    if not ref.isalnum() or len(ref) > 20:
        return None
    return Application.objects.select_related("level", "inviter").filter(ref=ref).first()


def first_purchase(level) -> tuple | None:
    """(amount, currency) of the level's required first stock purchase, if it has one."""
    amount = getattr(level, "first_purchase_amount", None) or getattr(level, "first_purchase_minimum", None)
    if not amount:
        return None
    return amount, getattr(level, "currency", "") or "CNY"
