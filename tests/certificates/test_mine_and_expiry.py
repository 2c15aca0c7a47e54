from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import factories as f
from weishang.agents.models import Agent
from weishang.certificates import services
from weishang.certificates.models import Certificate
from weishang.core.errors import Conflict, DomainError


def test_issue_replaces_the_active_certificate(cert):
    again = services.issue_certificate(cert.agent)
    cert.refresh_from_db()
    assert cert.status == "revoked" and again.status == "active" and again.number != cert.number
    assert Certificate.objects.filter(agent=cert.agent, status="active").count() == 1


def test_numbers_are_not_a_sequence(db):
    _zong, yi, _er = f.standard_levels()
    numbers = [services.issue_certificate(f.agent(yi)).number for _ in range(8)]
    bodies = sorted(int(n.split("-")[1]) for n in numbers)
    assert len(set(numbers)) == 8
    assert any(b - a != 1 for a, b in zip(bodies, bodies[1:], strict=False))


def test_bad_channels_and_validity_are_refused(cert_agent):
    with pytest.raises(DomainError):
        services.issue_certificate(cert_agent, channels=["tiktok-live"])
    with pytest.raises(DomainError):
        services.issue_certificate(cert_agent, channels=[])
    with pytest.raises(DomainError):
        services.issue_certificate(cert_agent, valid_days=0)
    with pytest.raises(DomainError):
        services.revoke_certificate(services.issue_certificate(cert_agent), reason=" ")


def test_revoking_twice_conflicts(cert):
    services.revoke_certificate(cert, reason="违规")
    with pytest.raises(Conflict):
        services.revoke_certificate(cert, reason="违规")


def test_my_certificate_page_and_downloads(client, cert):
    client.force_login(cert.agent.user)
    page = client.get("/agent/certificate/").content.decode()
    assert cert.number in page and "张三明" in page and "/agent/certificate.pdf" in page
    png = client.get("/agent/certificate.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG") and "attachment" in png["Content-Disposition"]
    pdf = client.get("/agent/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_agent_without_certificate_sees_an_empty_state(client, db):
    agent = f.agent(f.standard_levels()[1])
    client.force_login(agent.user)
    assert client.get("/agent/certificate/").status_code == 200
    assert client.get("/agent/certificate.png").status_code == 404


def test_expiry_job_expires_lapsed_certificates_and_their_agents(cert):
    Certificate.objects.filter(pk=cert.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    other = services.issue_certificate(f.agent(f.standard_levels()[2]))
    call_command("run_periodic_jobs", "certificates-expire")
    cert.refresh_from_db()
    other.refresh_from_db()
    assert cert.status == "expired" and other.status == "active"
    assert Agent.objects.get(pk=cert.agent_id).status == "expired"
    assert Agent.objects.get(pk=other.agent_id).status == "active"
    assert services.expire_lapsed() == 0  # nothing left to do


def test_a_level_change_reissues_the_certificate_with_the_same_channels_and_end(cert):
    from weishang.agents import services as agent_services

    if not hasattr(agent_services, "change_level"):
        pytest.skip("agents.services.change_level not there yet")
    zong = f.standard_levels()[0]
    agent_services.change_level(cert.agent, zong, actor=None, reason="累计进货达标")
    new = Certificate.objects.get(agent=cert.agent, status="active")
    cert.refresh_from_db()
    assert cert.status == "revoked" and new.pk != cert.pk
    assert new.level_name == "总代" and new.channels == cert.channels and new.valid_until == cert.valid_until
