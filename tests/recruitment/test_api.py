"""The recruitment API end to end, and the error shape."""

from __future__ import annotations

from tests import factories as f
from tests.recruitment.conftest import application_data, apply_with, invite_for
from weishang.agents.models import Agent


def test_invite_apply_status_approve_through_the_api(levels, top, agent_api, api):
    me = agent_api(top)
    r = me.post("/recruitment/invites", {"level_id": levels[1].pk, "valid_days": 3, "note": "小王"})
    assert r.status_code == 201, r.content
    invite = r.json()
    assert invite["url"].endswith(f"/join/{invite['token']}/") and invite["hq"] is False
    assert [i["id"] for i in me.get("/recruitment/invites").json()] == [invite["id"]]
    poster = me.get(f"/recruitment/invites/{invite['id']}/poster.png")
    assert poster.status_code == 200 and poster.content[:8] == b"\x89PNG\r\n\x1a\n"

    data = application_data(phone="+8613912311111")
    r = api.post(f"/recruitment/apply/{invite['token']}", data)
    assert r.status_code == 201, r.content
    ref = r.json()["ref"]
    r = api.get("/recruitment/applications/status", ref=ref, phone="139 1231 1111")
    assert r.status_code == 200 and r.json()["status"] == "pending" and r.json()["stage"] == "upline"
    wrong = api.get("/recruitment/applications/status", ref=ref, phone="+8613912311112")
    assert wrong.status_code == 404 and set(wrong.json()) == {"code", "message", "fields"}

    waiting = me.get("/recruitment/applications").json()
    assert [a["ref"] for a in waiting] == [ref]
    r = me.post(f"/recruitment/applications/{waiting[0]['id']}/approve", {})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["agent_id"]
    assert Agent.objects.get(pk=r.json()["agent_id"]).upline == top
    assert api.get("/recruitment/applications/status", ref=ref, phone=data["phone"]).json()["status"] == "approved"


def test_api_errors_have_the_project_shape(levels, top, agent_api, api):
    me = agent_api(top)
    r = api.post("/recruitment/apply/forged.token", application_data())
    assert r.status_code == 404 and r.json()["code"] == "invite_invalid"
    invite = invite_for(top, levels[1])
    r = api.post(f"/recruitment/apply/{invite.token}", application_data(phone="123"))
    assert r.status_code == 400 and r.json()["code"] == "invalid_phone" and r.json()["fields"]["phone"]
    r = me.post("/recruitment/invites", {"level_id": 10**6})
    assert r.status_code == 400 and r.json()["code"] == "unknown_level"
    first = f.agent(levels[1], upline=top)
    r = agent_api(first).post("/recruitment/invites", {"level_id": levels[0].pk})
    assert r.status_code == 403 and r.json()["code"] == "level_too_high"
    app = apply_with(invite)
    r = me.post(f"/recruitment/applications/{app.pk}/reject", {"reason": ""})
    assert r.status_code == 400 and r.json()["fields"]["reason"]
    assert api.get("/recruitment/applications").status_code == 401


def test_hq_queue_through_the_api(levels, top, agent_api):
    type(levels[1]).objects.filter(pk=levels[1].pk).update(requires_hq_approval=True)
    app = apply_with(invite_for(top, levels[1]))
    hq = agent_api(f.staff("operator"))
    assert hq.get("/recruitment/applications").json() == []
    agent_api(top).post(f"/recruitment/applications/{app.pk}/approve", {})
    assert [a["id"] for a in hq.get("/recruitment/applications").json()] == [app.pk]
    r = hq.post(f"/recruitment/applications/{app.pk}/approve", {})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert agent_api(f.user()).get("/recruitment/applications").status_code == 403


def test_applying_is_rate_limited_per_client(levels, top, api, client, settings):
    settings.RECRUITMENT_APPLY_RATE = (2, 3600)
    invite = invite_for(top, levels[1])
    for _ in range(2):
        api.post(f"/recruitment/apply/{invite.token}", application_data(phone="123"))
    r = api.post(f"/recruitment/apply/{invite.token}", application_data())
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    page = client.post(f"/join/{invite.token}/", {"name": "赵敏", "phone": "13912340009", "wechat_id": "zm",
                                                  "region_province": "440000", "region_city": "440300",
                                                  "region_district": "440305", "password": "Apply-Test-2026"})
    assert page.status_code == 429 and "稍后再试" in page.content.decode()
