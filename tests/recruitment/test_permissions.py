"""Every endpoint of the recruitment and certificates routers that needs a login refuses
another agent's data. The table below must name every such endpoint (the first test
fails when one is added without a case here)."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.recruitment.conftest import apply_with, invite_for
from weishang.certificates import services as certificates
from weishang.certificates.api import router as certificates_router
from weishang.recruitment.api import router as recruitment_router

# (prefix, method, path) -> how another agent is kept out
CASES = {
    ("recruitment", "POST", "/invites"): "creates for the caller only",
    ("recruitment", "GET", "/invites"): "lists the caller's only",
    ("recruitment", "GET", "/invites/{invite_id}/poster.png"): "404",
    ("recruitment", "POST", "/invites/{invite_id}/revoke"): "404",
    ("recruitment", "GET", "/applications"): "lists the caller's only",
    ("recruitment", "POST", "/applications/{application_id}/approve"): "404",
    ("recruitment", "POST", "/applications/{application_id}/reject"): "404",
    ("certificates", "GET", "/mine"): "own only",
    ("certificates", "GET", "/mine.png"): "own only",
    ("certificates", "GET", "/mine.pdf"): "own only",
}


def _authenticated_operations():
    for prefix, router in (("recruitment", recruitment_router), ("certificates", certificates_router)):
        for path, view in router.path_operations.items():
            for op in view.operations:
                if op.auth_callbacks:
                    for method in op.methods:
                        yield prefix, method, path


def test_the_table_names_every_authenticated_endpoint():
    assert set(_authenticated_operations()) == set(CASES)


@pytest.fixture
def two_agents(db, agent_api):
    zong, yi, er = f.standard_levels()
    alice, bob = f.agent(zong, name="爱丽丝"), f.agent(zong, name="鲍勃")
    certificates.issue_certificate(alice)
    certificates.issue_certificate(bob)
    invite = invite_for(alice, yi)
    app = apply_with(invite)
    return {"alice": alice, "bob": bob, "invite": invite, "app": app, "bob_api": agent_api(bob),
            "alice_api": agent_api(alice)}


def test_another_agent_is_refused_on_every_endpoint(two_agents):
    t = two_agents
    bob, alice = t["bob_api"], t["alice_api"]
    ids = {"invite_id": t["invite"].pk, "application_id": t["app"].pk}
    checked = set()
    for prefix, method, path in CASES:
        url = f"/{prefix}{path.format(**ids)}"
        if CASES[(prefix, method, path)] == "404":
            r = bob.get(url) if method == "GET" else bob.post(url, {"reason": "x"})
            assert r.status_code == 404, (url, r.status_code)
            assert r.json()["code"] == "not_found"
            checked.add((prefix, method, path))
    # lists and "mine" show the caller's own data, never Alice's
    r = bob.post("/recruitment/invites", {"level_id": t["invite"].level_id})
    assert r.status_code == 201 and r.json()["id"] != t["invite"].pk
    assert t["invite"].pk not in [i["id"] for i in bob.get("/recruitment/invites").json()]
    assert bob.get("/recruitment/applications").json() == []
    assert [a["id"] for a in alice.get("/recruitment/applications").json()] == [t["app"].pk]
    mine = bob.get("/certificates/mine").json()
    assert mine["name"] == "鲍勃" and mine["number"] != alice.get("/certificates/mine").json()["number"]
    for suffix in ("png", "pdf"):
        assert bob.get(f"/certificates/mine.{suffix}").content != alice.get(f"/certificates/mine.{suffix}").content
    checked |= {k for k, v in CASES.items() if v != "404"}
    assert checked == set(CASES)
    # and nothing changed for Alice
    t["app"].refresh_from_db()
    t["invite"].refresh_from_db()
    assert t["app"].status == "pending" and t["invite"].revoked_at is None


def test_pages_refuse_another_agents_invite_and_application(client, two_agents):
    t = two_agents
    client.force_login(t["bob"].user)
    assert client.get(f"/agent/invites/{t['invite'].pk}/poster.png").status_code == 404
    assert client.post(f"/agent/invites/{t['invite'].pk}/revoke").status_code == 404
    assert client.post(f"/agent/applications/{t['app'].pk}/decide", {"decision": "approve"}).status_code == 404
    t["app"].refresh_from_db()
    assert t["app"].status == "pending"


def test_non_agents_get_403_on_agent_pages(client, db):
    client.force_login(f.user())
    for url in ("/agent/invites/", "/agent/applications/", "/agent/certificate/", "/agent/certificate.png"):
        assert client.get(url).status_code == 403, url
    assert client.get("/join/status/").status_code == 200
