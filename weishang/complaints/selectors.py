"""Complaint reads."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from .models import Complaint


def mine(user):
    return Complaint.objects.filter(complainant=user).select_related("order", "agent").order_by("-id")


def for_hq(status: str = ""):
    qs = Complaint.objects.select_related("order", "agent", "complainant", "assignee").order_by("status", "-id")
    return qs.filter(status=status) if status else qs


def handlers():
    """HQ staff who may handle complaints (the assignee choices)."""
    users = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("pk")
    return [u for u in users if u.has_perm("complaints.change_complaint")]
