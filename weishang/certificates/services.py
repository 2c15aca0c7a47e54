"""Certificate writes: issue (on approval, on a level change), revoke, expire lapsed ones."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import Conflict, DomainError
from weishang.regions import divisions

from . import conf, numbering
from .models import Certificate, CertificateStatus, Channel

log = logging.getLogger(__name__)


def _region_name(agent) -> str:
    for code in (agent.district_code, agent.city_code, agent.province_code):
        if code:
            div = divisions.get(code)
            if div is not None:
                return div.full_name
    return ""


def _clean_channels(channels: list[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(channels if channels is not None else conf.default_channels()))
    unknown = [c for c in chosen if c not in Channel.values]
    if unknown or not chosen:
        raise DomainError(_("Choose at least one known sales channel."), code="bad_channels",
                          fields={"channels": [_("Choose at least one known sales channel.")]})
    return chosen


@transaction.atomic
def issue_certificate(agent, *, channels: list[str] | None = None, valid_days: int | None = None,
                      issued_by=None, valid_from: dt.date | None = None) -> Certificate:
    """A new active certificate for `agent` with its current name, level and region. The
    previous active one (if any) is revoked as replaced."""
    from weishang.agents.models import Agent

    agent = Agent.objects.select_for_update(no_key=True, of=("self",)).select_related("level").get(pk=agent.pk)
    chosen = _clean_channels(channels)
    days = valid_days if valid_days is not None else conf.valid_days()
    if not 1 <= days <= 3660:
        raise DomainError(_("A certificate is valid for 1 day to 10 years."), code="bad_validity")
    start = valid_from or timezone.localdate()
    now = timezone.now()
    Certificate.objects.filter(agent=agent, status=CertificateStatus.ACTIVE).update(
        status=CertificateStatus.REVOKED, ended_at=now, end_reason=str(_("Replaced by a new certificate.")))
    for _attempt in range(20):
        number = numbering.random_number(conf.prefix(), start.year)
        if Certificate.objects.filter(number=number).exists():
            continue
        try:
            with transaction.atomic():
                return Certificate.objects.create(
                    number=number, agent=agent, name=agent.name, level=agent.level, level_name=agent.level.name,
                    province_code=agent.province_code, city_code=agent.city_code, district_code=agent.district_code,
                    region_name=_region_name(agent), channels=chosen, valid_from=start,
                    valid_until=start + dt.timedelta(days=days), issued_by=issued_by)
        except IntegrityError:
            if Certificate.objects.filter(agent=agent, status=CertificateStatus.ACTIVE).exists():
                raise Conflict(_("This agent was given a certificate at the same moment."), code="certificate_race")
            continue  # the same number was taken at the same moment: draw another
    raise Conflict(_("Could not find a free certificate number; try again."), code="number_space")


@transaction.atomic
def revoke_certificate(certificate: Certificate, *, reason: Any, by=None) -> Certificate:
    text = str(reason or "").replace("\x00", "").strip()[:300]
    if not text:
        raise DomainError(_("Give a reason."), code="reason_required", fields={"reason": [_("Give a reason.")]})
    updated = Certificate.objects.filter(pk=certificate.pk, status=CertificateStatus.ACTIVE).update(
        status=CertificateStatus.REVOKED, ended_at=timezone.now(), end_reason=text)
    if not updated:
        raise Conflict(_("This certificate is no longer active."), code="not_active")
    certificate.refresh_from_db()
    return certificate


def expire_lapsed(today: dt.date | None = None, batch: int = 500) -> int:
    """Certificates whose validity ended become expired; an agent left without an active
    certificate expires with it (weishang.agents.services.expire_agent). Returns how many."""
    from weishang.agents import services as agent_services
    from weishang.agents.models import AgentStatus

    day = today or timezone.localdate()
    done = 0
    while True:
        ids = list(Certificate.objects.filter(status=CertificateStatus.ACTIVE, valid_until__lt=day)
                   .values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        for pk in ids:
            with transaction.atomic():
                if not Certificate.objects.filter(pk=pk, status=CertificateStatus.ACTIVE).update(
                        status=CertificateStatus.EXPIRED, ended_at=timezone.now(),
                        end_reason=str(_("The validity period ended."))):
                    continue
                done += 1
                cert = Certificate.objects.select_related("agent").get(pk=pk)
                agent = cert.agent
                still = Certificate.objects.filter(agent=agent, status=CertificateStatus.ACTIVE).exists()
                if not still and agent.status in (AgentStatus.ACTIVE, AgentStatus.FROZEN):
                    agent_services.expire_agent(
                        agent, reason=_("Certificate %(n)s expired on %(d)s.") % {"n": cert.number,
                                                                                  "d": cert.valid_until})
