"""HQ back office for agents: list filters, move form, freeze/reactivate with a reason,
Excel export of the filtered list, tree browser, read-only history."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from weishang.agents.models import Agent, AgentEvent, EventKind

pytestmark = pytest.mark.django_db

LIST = "admin:agents_agent_changelist"


@pytest.fixture
def op(client, factories):
    user = factories.staff("operator")
    client.force_login(user)
    return user


def test_list_filters_and_search(client, op, tree):
    Agent.objects.filter(pk=tree["a1"].pk).update(province_code="330000", wechat_id="wx_a1")
    url = reverse(LIST)
    assert client.get(url).status_code == 200
    body = client.get(url + "?province=330000").content.decode()
    assert "A1" in body and "A11" not in body
    body = client.get(url + f"?upline={tree['a'].pk}").content.decode()
    assert "A1" in body and "A2" in body and "A11" not in body
    body = client.get(url + f"?team_of={tree['a'].pk}").content.decode()
    assert "A11" in body and ">B<" not in body
    body = client.get(url + "?upline=hq").content.decode()
    assert "Other" in body and "A11" not in body
    assert "A1" in client.get(url + "?q=wx_a1").content.decode()
    assert client.get(url + "?status__exact=frozen").status_code == 200


def test_move_form(client, op, tree):
    url = reverse("admin:agents_agent_move", args=[tree["a1"].pk])
    assert client.get(url).status_code == 200
    r = client.post(url, {"new_upline": str(tree["a11"].pk), "reason": "x"})
    assert r.status_code == 200 and Agent.objects.get(pk=tree["a1"].pk).upline_id == tree["a"].pk
    r = client.post(url, {"new_upline": tree["b"].user.phone, "reason": ""})
    assert r.status_code == 200 and Agent.objects.get(pk=tree["a1"].pk).upline_id == tree["a"].pk
    r = client.post(url, {"new_upline": "+8613000000000", "reason": "x"})
    assert r.status_code == 200
    r = client.post(url, {"new_upline": tree["b"].user.phone, "reason": "区域调整"})
    assert r.status_code == 302 and Agent.objects.get(pk=tree["a1"].pk).upline_id == tree["b"].pk
    ev = AgentEvent.objects.get(kind=EventKind.MOVED)
    assert ev.actor == op and ev.reason == "区域调整"
    hist = client.get(reverse("admin:agents_agentevent_changelist") + f"?agent__id__exact={tree['a1'].pk}")
    assert hist.status_code == 200 and "区域调整" in hist.content.decode()


def test_freeze_and_reactivate_actions_ask_for_a_reason(client, op, tree):
    url = reverse(LIST)
    data = {"action": "freeze_selected", "_selected_action": [tree["a"].pk, tree["b"].pk]}
    r = client.post(url, data)
    assert r.status_code == 200 and "reason" in r.content.decode()
    assert Agent.objects.get(pk=tree["a"].pk).status == "active"
    r = client.post(url, {**data, "apply_reason": "1", "reason": ""})
    assert Agent.objects.get(pk=tree["a"].pk).status == "active"
    r = client.post(url, {**data, "apply_reason": "1", "reason": "投诉核查"})
    assert r.status_code == 302
    assert set(Agent.objects.filter(status="frozen").values_list("pk", flat=True)) == {tree["a"].pk, tree["b"].pk}
    r = client.post(url, {"action": "reactivate_selected", "_selected_action": [tree["a"].pk],
                          "apply_reason": "1", "reason": "核查完毕"})
    assert Agent.objects.get(pk=tree["a"].pk).status == "active"
    assert AgentEvent.objects.filter(kind=EventKind.FROZEN, reason="投诉核查", actor=op).count() == 2


def test_level_change_in_the_form_needs_a_reason_and_is_recorded(client, op, tree, factories):
    top_l, _m, _l = factories.standard_levels()
    a1 = tree["a1"]
    url = reverse("admin:agents_agent_change", args=[a1.pk])
    form = {"name": a1.name, "level": top_l.pk, "wechat_id": "", "line_id": "", "province_code": "",
            "city_code": "", "district_code": "", "change_reason": ""}
    assert client.post(url, form).status_code == 200
    assert Agent.objects.get(pk=a1.pk).level_id != top_l.pk
    r = client.post(url, {**form, "change_reason": "HQ 决定"})
    assert r.status_code == 302 and Agent.objects.get(pk=a1.pk).level_id == top_l.pk
    assert AgentEvent.objects.filter(agent=a1, kind=EventKind.LEVEL, reason="HQ 决定", actor=op).exists()


def test_export_follows_the_filters(client, op, tree):
    r = client.get(reverse("admin:agents_agent_export") + f"?team_of={tree['a'].pk}")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1][0] == "id"
    assert sorted(r[1] for r in rows[2:]) == ["A1", "A11", "A2"]


def test_tree_browser_loads_children(client, op, tree):
    body = client.get(reverse("admin:agents_agent_tree")).content.decode()
    assert "总代" in body and "Other" in body and "A1<" not in body
    kids = client.get(reverse("admin:agents_agent_tree_children", args=[tree["a"].pk])).content.decode()
    assert "A1" in kids and "A2" in kids and "A11" not in kids and "<html" not in kids
    assert client.get(reverse("admin:agents_agent_tree") + f"?root={tree['a'].pk}").status_code == 200
    assert client.get(reverse("admin:agents_agent_tree_children", args=[0])).status_code == 200


def test_history_is_read_only_and_pages_need_permission(client, tree, factories):
    client.force_login(factories.staff("finance"))
    assert client.get(reverse("admin:agents_agent_move", args=[tree["a"].pk])).status_code == 403
    assert client.get(reverse("admin:agents_agent_export")).status_code == 403
    client.force_login(factories.staff("operator"))
    ev = AgentEvent.objects.first()
    r = client.post(reverse("admin:agents_agentevent_change", args=[ev.pk]), {"reason": "changed"})
    assert r.status_code == 403 or AgentEvent.objects.get(pk=ev.pk).reason != "changed"
    client.force_login(tree["a"].user)
    assert client.get(reverse("admin:agents_agent_tree")).status_code == 302
