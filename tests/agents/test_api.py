"""Agent API: what an agent sees, and that it sees nothing outside its own team."""

from decimal import Decimal

import pytest
from django.utils import timezone

from weishang.agents import services
from weishang.agents.api import router
from weishang.agents.models import Agent

pytestmark = pytest.mark.django_db

BASE = "/api/v1/agents"
# Every endpoint of the router and who may use it. A new endpoint must be added here (the
# first test fails otherwise) and so gets the permission checks below.
ENDPOINTS = {
    ("GET", "/me"): "own",
    ("GET", "/me/level"): "own",
    ("GET", "/team"): "own",
    ("GET", "/team/summary"): "own",
    ("GET", "/members/{agent_id}"): "member",
    ("GET", "/members/{agent_id}/team"): "member",
    ("POST", "/hq/agents/{agent_id}/move"): "hq",
    ("POST", "/hq/agents/{agent_id}/freeze"): "hq",
    ("POST", "/hq/agents/{agent_id}/reactivate"): "hq",
}
BODY = {"reason": "测试", "new_upline_id": None}


def routes():
    for path, view in router.path_operations.items():
        for op in view.operations:
            for method in op.methods:
                yield method, path


def call(client, method, path, agent_id=None):
    url = BASE + path.replace("{agent_id}", str(agent_id or 1))
    if method == "GET":
        return client.get(url)
    return client.post(url, BODY, content_type="application/json")


def test_every_endpoint_is_listed_here():
    assert set(routes()) == set(ENDPOINTS)


@pytest.mark.parametrize("method,path", sorted(ENDPOINTS))
def test_anonymous_is_refused(client, tree, method, path):
    assert call(client, method, path, tree["a1"].pk).status_code == 401


@pytest.mark.parametrize("method,path", sorted(k for k, v in ENDPOINTS.items() if v != "hq"))
def test_a_user_who_is_no_agent_is_refused(client, tree, factories, method, path):
    client.force_login(factories.user())
    assert call(client, method, path, tree["a1"].pk).status_code in (403, 404)


@pytest.mark.parametrize("method,path", sorted(k for k, v in ENDPOINTS.items() if v == "member"))
@pytest.mark.parametrize("viewer,target", [("a", "b"), ("a", "top"), ("a", "a"), ("a1", "a2"), ("a11", "a1"),
                                           ("a", "other"), ("other", "a11")])
def test_an_agent_cannot_read_outside_its_team(client, tree, method, path, viewer, target):
    client.force_login(tree[viewer].user)
    r = call(client, method, path, tree[target].pk)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    # and an id that does not exist answers the same
    missing = call(client, method, path, Agent.objects.order_by("-pk").first().pk + 1000)
    assert missing.status_code == 404 and missing.json() == r.json()


@pytest.mark.parametrize("method,path", sorted(k for k, v in ENDPOINTS.items() if v == "member"))
def test_an_agent_reads_members_at_any_depth(client, tree, method, path):
    client.force_login(tree["top"].user)
    for name in ("a", "a1", "a11", "b"):
        assert call(client, method, path, tree[name].pk).status_code == 200


@pytest.mark.parametrize("method,path", sorted(k for k, v in ENDPOINTS.items() if v == "hq"))
def test_hq_endpoints_refuse_agents_and_staff_without_permission(client, tree, factories, method, path):
    client.force_login(tree["top"].user)
    assert call(client, method, path, tree["a1"].pk).status_code in (401, 403)
    client.force_login(factories.staff("finance"))  # HQ staff without the agents permission
    assert call(client, method, path, tree["a1"].pk).status_code == 403
    assert Agent.objects.get(pk=tree["a1"].pk).status == "active"
    assert Agent.objects.get(pk=tree["a1"].pk).upline_id == tree["a"].pk


def test_me_team_and_summary(client, tree):
    services.record_purchase_volume(tree["a11"], Decimal("88.00"), timezone.now())
    client.force_login(tree["a"].user)
    me = client.get(f"{BASE}/me").json()
    assert me["id"] == tree["a"].pk and me["upline_name"] == "总代"
    assert me["summary"]["team_size"] == 3 and me["summary"]["team_purchases"] == "88.00"
    direct = client.get(f"{BASE}/team").json()
    assert [m["name"] for m in direct["items"]] == ["A1", "A2"] and direct["total"] == 2
    whole = client.get(f"{BASE}/team?scope=whole").json()
    assert {m["name"] for m in whole["items"]} == {"A1", "A2", "A11"}
    assert next(m for m in whole["items"] if m["name"] == "A11")["own_purchases"] == "88.00"
    assert client.get(f"{BASE}/team/summary").json()["team_purchases"] == "88.00"
    assert client.get(f"{BASE}/team?scope=sideways").status_code == 422
    sub = client.get(f"{BASE}/members/{tree['a1'].pk}/team").json()
    assert [m["name"] for m in sub["items"]] == ["A11"]


def test_team_paging(client, factories, tree):
    for i in range(25):
        factories.agent(tree["b"].level, upline=tree["b"], name=f"M{i:02d}")
    client.force_login(tree["b"].user)
    p1 = client.get(f"{BASE}/team").json()
    p2 = client.get(f"{BASE}/team?page=2").json()
    assert len(p1["items"]) == 20 and p1["has_next"] and p1["total"] == 25
    assert len(p2["items"]) == 5 and not p2["has_next"]
    assert not {m["id"] for m in p1["items"]} & {m["id"] for m in p2["items"]}


def test_hq_move_freeze_reactivate(client, tree, factories):
    client.force_login(factories.staff("operator"))
    r = client.post(f"{BASE}/hq/agents/{tree['a1'].pk}/move", {"reason": "调整", "new_upline_id": tree["b"].pk},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["upline_id"] == tree["b"].pk
    r = client.post(f"{BASE}/hq/agents/{tree['a'].pk}/move", {"reason": "x", "new_upline_id": tree["a"].pk},
                    content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "move_into_own_team"
    r = client.post(f"{BASE}/hq/agents/{tree['a'].pk}/freeze", {"reason": ""}, content_type="application/json")
    assert r.status_code == 422
    r = client.post(f"{BASE}/hq/agents/{tree['a'].pk}/freeze", {"reason": "核查"}, content_type="application/json")
    assert r.json()["status"] == "frozen"
    r = client.post(f"{BASE}/hq/agents/{tree['a'].pk}/reactivate", {"reason": "ok"}, content_type="application/json")
    assert r.json()["status"] == "active"
    r = client.post(f"{BASE}/hq/agents/999999/freeze", {"reason": "x"}, content_type="application/json")
    assert r.status_code == 404


def test_my_level_is_the_level_page_data(client, factories):
    from datetime import datetime

    from weishang.agents import upgrades

    top = factories.level(1, "总代", upgrade_single_purchase=Decimal("10000"), upgrade_needs_approval=True)
    one = factories.level(2, "一级", upgrade_single_purchase=Decimal("3000"),
                          upgrade_cumulative_amount=Decimal("8000"), upgrade_period_days=30)
    two = factories.level(3, "二级")
    sku = factories.sku(retail_price=Decimal("128"), floor_price=Decimal("50"))
    factories.level_price(two, sku, "90")
    factories.level_price(one, sku, "70")
    me = factories.agent(two, name="我")
    services.record_purchase_volume(me, Decimal("2000"), timezone.now())
    client.force_login(me.user)
    data = client.get(f"{BASE}/me/level").json()
    page = upgrades.my_level(Agent.objects.select_related("level").get(pk=me.pk))
    assert data["level"]["name"] == "二级" and not data["is_top"]
    assert data["next_level"] == {"id": one.pk, "name": "一级", "rank": 2, "currency": "CNY",
                                  "single_purchase": "3000.00", "cumulative_amount": "8000.00", "period_days": 30,
                                  "needs_approval": False}
    p = data["progress"]
    assert (p["bought"], p["remaining"], p["percent"]) == ("2000.00", "6000.00", 25)
    assert datetime.fromisoformat(p["period_end"].replace("Z", "+00:00")) == page.progress.period_end
    assert data["pending_request"] is None and data["first_purchase"] is None
    assert data["prices"] == [{"sku_id": sku.pk, "product": sku.product.name, "sku": sku.name, "price": "90.00",
                               "currency": "CNY", "retail_price": "128.00"}]  # its own level's price only
    # a purchase that meets the approval level: the pending request shows
    services.record_purchase_volume(me, Decimal("10000"), timezone.now())
    data = client.get(f"{BASE}/me/level").json()
    assert data["level"]["name"] == "一级"  # automatic upgrade to 一级 on the way
    assert data["pending_request"]["level"]["id"] == top.pk and data["pending_request"]["status"] == "pending"
    assert data["pending_request"]["amount"] == "10000.00" and data["next_level"]["id"] == top.pk
