"""Certificate reads."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from weishang.accounts.phones import normalize_phone

from . import numbering
from .models import Certificate, CertificateStatus


def active_for(agent) -> Certificate | None:
    return Certificate.objects.filter(agent=agent, status=CertificateStatus.ACTIVE).first()


def latest_for(agent) -> Certificate | None:
    return Certificate.objects.filter(agent=agent).order_by("-issued_at", "-pk").first()


def find_authorised(query: str) -> Certificate | None:
    """The valid certificate of an active agent matching a certificate number, phone number
    or WeChat ID, else None. Anything not valid today (revoked, expired, frozen agent) is None."""
    from weishang.agents.models import AgentStatus

    text = (query or "").strip()
    if not text:
        return None
    base = (Certificate.objects.select_related("agent", "level")
            .filter(status=CertificateStatus.ACTIVE, agent__status=AgentStatus.ACTIVE))
    number = numbering.parse(text)
    if number is not None:
        qs = base.filter(number=number)
    else:
        try:
            phone = normalize_phone(text)
        except ValidationError:
            qs = base.filter(agent__wechat_id=text)
        else:
            qs = base.filter(agent__user__phone=phone)
    cert = qs.first()
    if cert is None or not cert.is_valid_on(timezone.localdate()):
        return None
    return cert


def lookup_path(agent_id: int) -> str | None:
    """The public lookup page for the agent's active certificate ("/lookup/?q=LX2026-…"), or
    None (one query). For other pages that link to a seller's certificate."""
    number = (Certificate.objects.filter(agent_id=agent_id, status=CertificateStatus.ACTIVE)
              .values_list("number", flat=True).first())
    return lookup_path_of(number)


def lookup_path_of(number: str | None) -> str | None:
    """The public lookup page of a certificate number (None for none), without a query."""
    return f"{_lookup_base()}?{urlencode({'q': number})}" if number else None


@functools.cache
def _lookup_base() -> str:
    return reverse("certificates:lookup")  # once per process: reverse() costs ~20 µs
