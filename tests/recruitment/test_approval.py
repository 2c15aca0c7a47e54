"""Deciding applications: upline, then HQ when the level requires it; what approval creates."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.recruitment.conftest import PASSWORD, apply_with, invite_for
from tests.threads import run_together
from weishang.accounts.models import User
from weishang.agents.models import Agent
from weishang.certificates.models import Certificate
from weishang.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from weishang.recruitment import selectors, services
from weishang.recruitment.models import Application, Stage


def test_upline_approval_creates_user_agent_and_certificate(levels, top):
    app = apply_with(invite_for(top, levels[1]), name="李晓明", phone="+8613912300001", wechat_id="lxm01")
    done = services.decide(app, user=top.user, approve=True)
    assert (done.status, done.stage, done.decided_by) == ("approved", Stage.DONE, top.user)
    user = User.objects.get(phone="+8613912300001")
    assert user.check_password(PASSWORD) and user.name == "李晓明"
    agent = Agent.objects.get(user=user)
    assert (agent.level, agent.upline, agent.recruiter) == (levels[1], top, top)
    assert (agent.wechat_id, agent.province_code, agent.city_code, agent.district_code) == (
        "lxm01", "440000", "440300", "440305")
    cert = Certificate.objects.get(agent=agent)
    assert cert.status == "active" and cert.level_name == levels[1].name and cert.region_name.startswith("广东省")
    app.refresh_from_db()
    assert app.agent == agent and app.user == user and app.password_hash == ""


def test_rejection_needs_a_reason_and_creates_nothing(levels, top):
    app = apply_with(invite_for(top, levels[1]), phone="+8613912300002")
    with pytest.raises(DomainError) as exc:
        services.decide(app, user=top.user, approve=False, reason="  ")
    assert exc.value.code == "required"
    done = services.decide(app, user=top.user, approve=False, reason="地区已有代理")
    assert (done.status, done.reason) == ("rejected", "地区已有代理")
    assert not User.objects.filter(phone="+8613912300002").exists()
    assert Agent.objects.count() == 1 and Certificate.objects.count() == 0
    assert Application.objects.get(pk=app.pk).password_hash == ""
    with pytest.raises(Conflict):
        services.decide(app, user=top.user, approve=True)


def test_two_step_approval_when_the_level_requires_hq(levels, top):
    zong, yi, _er = levels
    type(yi).objects.filter(pk=yi.pk).update(requires_hq_approval=True)
    yi.refresh_from_db()
    app = apply_with(invite_for(top, yi), phone="+8613912300003")
    hq = f.staff("operator")
    with pytest.raises(PermissionDenied):  # HQ waits for the upline first
        services.decide(app, user=hq, approve=True)
    step = services.decide(app, user=top.user, approve=True)
    assert (step.status, step.stage, step.upline_decided_by) == ("pending", Stage.HQ, top.user)
    assert Agent.objects.count() == 1
    with pytest.raises(PermissionDenied):  # and now the upline cannot decide again
        services.decide(app, user=top.user, approve=True)
    assert list(selectors.waiting_for_hq()) == [app]
    done = services.decide(app, user=hq, approve=True)
    assert done.status == "approved" and done.decided_by == hq
    assert Agent.objects.get(user__phone="+8613912300003").upline == top


def test_hq_can_reject_at_its_step(levels, top):
    type(levels[1]).objects.filter(pk=levels[1].pk).update(requires_hq_approval=True)
    app = apply_with(invite_for(top, levels[1]))
    services.decide(app, user=top.user, approve=True)
    done = services.decide(app, user=f.staff("operator"), approve=False, reason="资质不符")
    assert done.status == "rejected" and Agent.objects.count() == 1


def test_hq_invite_goes_straight_to_hq_and_places_the_agent_under_hq(levels):
    hq = f.staff("operator")
    app = apply_with(invite_for(hq, levels[0]), phone="+8613912300004")
    assert app.stage == Stage.HQ and app.inviter is None
    services.decide(app, user=hq, approve=True)
    agent = Agent.objects.get(user__phone="+8613912300004")
    assert agent.upline is None and agent.recruiter is None and agent.depth == 0


def test_staff_without_the_permission_and_other_agents_cannot_decide(levels, top):
    app = apply_with(invite_for(top, levels[1]))
    for outsider in (f.agent(levels[0]).user, f.agent(levels[1], upline=top).user, f.user()):
        with pytest.raises(NotFound):
            services.decide(app, user=outsider, approve=True)
    warehouse = f.staff("warehouse")
    with pytest.raises(NotFound):
        services.decide(app, user=warehouse, approve=False, reason="x")
    assert Application.objects.get(pk=app.pk).status == "pending"


def test_an_existing_consumer_becomes_an_agent_with_the_same_account(levels, top):
    consumer = f.user(phone="+8613912300005")
    invite = invite_for(top, levels[2])
    app = services.apply(token=invite.token, user=consumer, name="老客户", phone=consumer.phone,
                         wechat_id="laokehu", province_code="110000", city_code="110100", district_code="110101")
    services.decide(app, user=top.user, approve=True)
    assert Agent.objects.get(user=consumer).name == "老客户"
    assert User.objects.filter(phone=consumer.phone).count() == 1


def test_approval_after_the_phone_became_an_agent_elsewhere_is_refused(levels, top):
    app = apply_with(invite_for(top, levels[1]), phone="+8613912300006")
    f.agent(levels[2], user=f.user(phone="+8613912300006"))
    with pytest.raises(Conflict):
        services.decide(app, user=top.user, approve=True)
    assert Application.objects.get(pk=app.pk).status == "pending"  # the whole decision rolled back


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_create_one_agent():
    zong, yi, _er = f.standard_levels()
    top = f.agent(zong)
    hq = f.staff("admin")
    app = apply_with(invite_for(top, yi), phone="+8613912300007")
    def approve(i):
        services.decide(app.pk, user=top.user, approve=True)
        return "ok"

    results = run_together(2, approve, expected=(Conflict,))  # the loser's error is the point
    assert results.count("ok") == 1, results
    assert [type(r) for r in results if r != "ok"] == [Conflict]
    assert Agent.objects.filter(user__phone="+8613912300007").count() == 1
    assert Certificate.objects.filter(agent__user__phone="+8613912300007").count() == 1
    assert hq  # HQ plays no part at this level: one step only
