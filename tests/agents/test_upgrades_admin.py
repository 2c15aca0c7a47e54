"""HQ decides upgrade requests in the back office: list with filters, approve and reject
actions with a reason (a rejection needs one)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from weishang.agents import services
from weishang.agents.level_models import UpgradeRequest, UpgradeStatus
from weishang.agents.models import Agent


@pytest.fixture
def pending(factories):
    top = factories.level(1, "总代", upgrade_single_purchase=Decimal("10000"), upgrade_needs_approval=True)
    one = factories.level(2, "一级")
    agents = [factories.agent(one, name=f"代理{i}") for i in range(3)]
    for a in agents:
        services.record_purchase_volume(a, Decimal("10000"), timezone.now())
    return top, one, agents


URL = "admin:agents_upgraderequest_changelist"


def test_list_and_filters(client, factories, pending):
    client.force_login(factories.staff("operator"))
    body = client.get(reverse(URL)).content.decode()
    assert all(f"代理{i}" in body for i in range(3))
    assert client.get(reverse(URL), {"status__exact": "pending"}).status_code == 200
    body = client.get(reverse(URL), {"status__exact": "rejected"}).content.decode()
    assert "代理0" not in body


def test_approve_action(client, factories, pending):
    top, one, agents = pending
    client.force_login(factories.staff("operator"))
    ids = [str(r.pk) for r in UpgradeRequest.objects.filter(agent=agents[0])]
    page = client.post(reverse(URL), {"action": "approve_selected", ACTION_CHECKBOX_NAME: ids})
    assert page.status_code == 200 and "代理0" in page.content.decode()  # asks for the reason first
    assert Agent.objects.get(pk=agents[0].pk).level == one
    done = client.post(reverse(URL), {"action": "approve_selected", ACTION_CHECKBOX_NAME: ids, "apply": "1",
                                      "reason": "达标"})
    assert done.status_code == 302
    assert Agent.objects.get(pk=agents[0].pk).level == top
    assert UpgradeRequest.objects.get(agent=agents[0]).status == UpgradeStatus.APPROVED


def test_reject_action_needs_a_reason(client, factories, pending):
    top, one, agents = pending
    client.force_login(factories.staff("operator"))
    ids = [str(r.pk) for r in UpgradeRequest.objects.filter(agent__in=agents[1:])]
    page = client.post(reverse(URL), {"action": "reject_selected", ACTION_CHECKBOX_NAME: ids, "apply": "1",
                                      "reason": ""})
    assert page.status_code == 200 and "the agent sees it" in page.content.decode()
    assert UpgradeRequest.objects.filter(status=UpgradeStatus.PENDING).count() == 3
    client.post(reverse(URL), {"action": "reject_selected", ACTION_CHECKBOX_NAME: ids, "apply": "1",
                               "reason": "资料不全"})
    assert list(UpgradeRequest.objects.filter(agent__in=agents[1:]).values_list("status", "reason").order_by().distinct()) == [
        (UpgradeStatus.REJECTED, "资料不全")]
    assert {a.level for a in Agent.objects.filter(pk__in=[a.pk for a in agents[1:]])} == {one}


def test_staff_without_the_permission_cannot_decide(client, factories, pending):
    client.force_login(factories.staff("finance"))
    ids = [str(r.pk) for r in UpgradeRequest.objects.all()]
    response = client.post(reverse(URL), {"action": "approve_selected", ACTION_CHECKBOX_NAME: ids, "apply": "1"})
    assert response.status_code == 403
    assert UpgradeRequest.objects.filter(status=UpgradeStatus.PENDING).count() == 3
