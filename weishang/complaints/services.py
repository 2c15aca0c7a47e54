"""Complaint writes: open (the complainant), assign and close (HQ, complaints permission)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import Conflict, DomainError, NotFound, PermissionDenied

from .models import Complaint, ComplaintStatus


class ComplaintInvalid(DomainError):
    code = "complaint_invalid"


def can_handle(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm("complaints.change_complaint"))


def _text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def open_complaint(*, user, subject: Any, body: Any, order_no: Any = "", agent_id: Any = None) -> Complaint:
    """About one of the user's own orders (its shop agent is recorded too) or an agent."""
    from weishang.agents.models import Agent
    from weishang.orders.models import Order

    if not (user and user.is_authenticated):
        raise PermissionDenied(_("Please log in first."))
    fields: dict[str, list] = {}
    subject, body = _text(subject, 100), _text(body, 2000)
    if not subject:
        fields["subject"] = [_("This field is required.")]
    if not body:
        fields["body"] = [_("This field is required.")]
    order = agent = None
    order_no = _text(order_no, 24)
    if order_no:
        order = Order.objects.filter(no=order_no, buyer=user).first()
        if order is None:
            fields["order_no"] = [_("You have no order with this number.")]
    if agent_id not in (None, ""):
        try:
            agent = Agent.objects.filter(pk=int(agent_id)).first()
        except (TypeError, ValueError):
            agent = None
        if agent is None:
            fields["agent_id"] = [_("This agent does not exist.")]
    if not fields and order is None and agent is None:
        fields["order_no"] = [_("Say which order or which agent this is about.")]
    if fields:
        raise ComplaintInvalid(next(iter(fields.values()))[0], fields=fields)
    if agent is None and order is not None and order.seller_agent_id:
        agent = order.seller_agent
    return Complaint.objects.create(complainant=user, order=order, agent=agent, subject=subject, body=body)


def _locked(complaint_id: int) -> Complaint:
    obj = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if obj is None:
        raise NotFound(_("Complaint not found."))
    return obj


def assign(complaint_id: int, *, actor, assignee) -> Complaint:
    if not can_handle(actor):
        raise PermissionDenied(_("Only HQ can handle complaints."))
    if assignee is None or not can_handle(assignee):
        raise ComplaintInvalid(_("Choose an HQ staff member who handles complaints."),
                               fields={"assignee": [_("Choose an HQ staff member who handles complaints.")]})
    with transaction.atomic():
        obj = _locked(complaint_id)
        if obj.status == ComplaintStatus.CLOSED:
            raise Conflict(_("This complaint is already closed."), code="complaint_closed")
        obj.assignee, obj.status, obj.assigned_at = assignee, ComplaintStatus.ASSIGNED, timezone.now()
        obj.save(update_fields=["assignee", "status", "assigned_at"])
        return obj


def close(complaint_id: int, *, actor, outcome: Any) -> Complaint:
    if not can_handle(actor):
        raise PermissionDenied(_("Only HQ can handle complaints."))
    text = _text(outcome, 1000)
    if not text:
        raise ComplaintInvalid(_("Record the outcome before closing."),
                               fields={"outcome": [_("Record the outcome before closing.")]})
    with transaction.atomic():
        obj = _locked(complaint_id)
        if obj.status == ComplaintStatus.CLOSED:
            raise Conflict(_("This complaint is already closed."), code="complaint_closed")
        obj.status, obj.outcome, obj.closed_by, obj.closed_at = ComplaintStatus.CLOSED, text, actor, timezone.now()
        if obj.assignee_id is None:
            obj.assignee = actor
        obj.save(update_fields=["status", "outcome", "closed_by", "closed_at", "assignee"])
        return obj
