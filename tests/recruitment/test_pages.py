"""The agent's phone pages (invites, inbox) and the HQ queue in the admin."""

from __future__ import annotations

from tests import factories as f
from tests.recruitment.conftest import apply_with, invite_for
from weishang.agents.models import Agent
from weishang.recruitment import services
from weishang.recruitment.models import Application, Invite


def test_invites_page_creates_and_shows_link_and_poster(client, levels, top):
    client.force_login(top.user)
    page = client.get("/agent/invites/")
    assert page.status_code == 200 and "还没有邀请" in page.content.decode()
    r = client.post("/agent/invites/", {"level": levels[2].pk, "valid_days": 7, "note": "给小王"})
    invite = Invite.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/agent/invites/?new={invite.pk}"
    page = client.get(r["Location"]).content.decode()
    assert f"/join/{invite.token}/" in page and f"/agent/invites/{invite.pk}/poster.png" in page
    poster = client.get(f"/agent/invites/{invite.pk}/poster.png")
    assert poster.status_code == 200 and poster.content.startswith(b"\x89PNG")


def test_invites_page_offers_only_allowed_levels(client, levels):
    first = f.agent(levels[1])
    client.force_login(first.user)
    page = client.get("/agent/invites/").content.decode()
    assert f'value="{levels[1].pk}"' in page and f'value="{levels[0].pk}"' not in page
    r = client.post("/agent/invites/", {"level": levels[0].pk, "valid_days": 7})
    assert r.status_code == 400 and not Invite.objects.exists()


def test_stop_an_invite(client, levels, top):
    invite = invite_for(top, levels[1])
    client.force_login(top.user)
    client.post(f"/agent/invites/{invite.pk}/revoke")
    invite.refresh_from_db()
    assert invite.revoked_at is not None and client.get(f"/join/{invite.token}/").status_code == 404


def test_inbox_approve_and_reject(client, levels, top):
    a = apply_with(invite_for(top, levels[1]), name="周杰")
    b = apply_with(invite_for(top, levels[2]), name="蔡琳")
    client.force_login(top.user)
    page = client.get("/agent/applications/").content.decode()
    assert "周杰" in page and "蔡琳" in page
    client.post(f"/agent/applications/{a.pk}/decide", {"decision": "approve"})
    r = client.post(f"/agent/applications/{b.pk}/decide", {"decision": "reject", "reason": ""})
    assert r.status_code == 302
    assert Application.objects.get(pk=b.pk).status == "pending"  # a reason is needed
    client.post(f"/agent/applications/{b.pk}/decide", {"decision": "reject", "reason": "地区重叠"})
    assert Application.objects.get(pk=a.pk).status == "approved"
    assert Application.objects.get(pk=b.pk).reason == "地区重叠"
    assert Agent.objects.filter(name="周杰", upline=top).exists()
    status = client.get(f"/join/status/{b.ref}/").content.decode()
    assert "地区重叠" in status


def test_empty_inbox_says_what_to_do(client, top):
    client.force_login(top.user)
    assert "分享邀请海报" in client.get("/agent/applications/").content.decode()


def test_my_applications_after_login(client, levels, top):
    app = apply_with(invite_for(top, levels[1]), phone="+8613912355555")
    client.force_login(f.user(phone="+8613912355556"))
    assert app.ref not in client.get("/join/status/").content.decode()
    services.decide(app, user=top.user, approve=True)
    client.force_login(Agent.objects.get(user__phone="+8613912355555").user)
    assert app.ref in client.get("/join/status/").content.decode()


def test_hq_queue_in_the_admin(client, levels, top):
    type(levels[1]).objects.filter(pk=levels[1].pk).update(requires_hq_approval=True)
    a = apply_with(invite_for(top, levels[1]), name="甲")
    b = apply_with(invite_for(top, levels[1]), name="乙")
    for app in (a, b):
        services.decide(app, user=top.user, approve=True)
    client.force_login(f.staff("operator"))
    listing = client.get("/admin/recruitment/application/", {"stage__exact": "hq"})
    assert listing.status_code == 200 and a.ref in listing.content.decode()
    client.post("/admin/recruitment/application/", {"action": "approve", "_selected_action": [a.pk]})
    assert Application.objects.get(pk=a.pk).status == "approved"
    form = client.post("/admin/recruitment/application/", {"action": "reject", "_selected_action": [b.pk]})
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    assert Application.objects.get(pk=b.pk).status == "pending"
    client.post("/admin/recruitment/application/", {"action": "reject", "_selected_action": [b.pk],
                                                    "apply_reason": "1", "reason": "资料不实"})
    b.refresh_from_db()
    assert (b.status, b.reason) == ("rejected", "资料不实")


def test_inbox_and_invites_query_counts_do_not_grow_with_the_list(client, levels, top, django_assert_max_num_queries):
    for _ in range(5):
        apply_with(invite_for(top, levels[2]))
    client.force_login(top.user)
    with django_assert_max_num_queries(8):
        assert client.get("/agent/applications/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/agent/invites/").status_code == 200
