"""Who can invite for which level, and which links are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f
from tests.recruitment.conftest import apply_with, invite_for
from weishang.core.errors import DomainError, PermissionDenied
from weishang.recruitment import services, tokens
from weishang.recruitment.models import Invite


def test_agent_invites_for_its_own_level_and_below_not_above(levels):
    zong, yi, er = levels
    first = f.agent(yi)
    for level in (yi, er):
        invite = invite_for(first, level)
        assert invite.inviter == first and invite.level == level and invite.is_open
    with pytest.raises(PermissionDenied) as exc:
        invite_for(first, zong)
    assert exc.value.code == "level_too_high"
    assert [lv.rank for lv in services.levels_for(first.user)] == [2, 3]


def test_hq_invites_for_any_level_under_hq(levels):
    hq = f.staff("operator")
    invite = invite_for(hq, levels[0])
    assert invite.inviter is None
    assert [lv.rank for lv in services.levels_for(hq)] == [1, 2, 3]


def test_consumer_and_frozen_agent_cannot_invite(levels):
    with pytest.raises(PermissionDenied):
        invite_for(f.user(), levels[2])
    agent = f.agent(levels[1])
    type(agent).objects.filter(pk=agent.pk).update(status="frozen")
    with pytest.raises(PermissionDenied):
        invite_for(agent, levels[2])
    assert services.levels_for(agent.user) == []


@pytest.mark.parametrize("days", [0, 91])
def test_validity_bounds(levels, top, days):
    with pytest.raises(DomainError):
        invite_for(top, levels[1], valid_days=days)


def test_forged_tokens_are_refused_without_a_database_hit(levels, top, django_assert_num_queries):
    invite = invite_for(top, levels[1])
    key, sig = invite.token.split(".")
    other = tokens.sign(tokens.new_key())  # a valid signature for a key that does not exist
    forged = [f"{key}.{sig[:-1]}{'A' if sig[-1] != 'A' else 'B'}", f"{tokens.new_key()}.{sig}", key, "x" * 200, ""]
    for token in forged:
        with django_assert_num_queries(0), pytest.raises(services.InviteInvalid) as exc:
            services.open_invite(token)
        assert exc.value.code == "invite_invalid"
    with pytest.raises(services.InviteInvalid):
        services.open_invite(other)
    assert services.open_invite(invite.token) == invite


def test_expired_revoked_and_used_up_links_are_refused(levels, top):
    expired = invite_for(top, levels[1])
    Invite.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(services.InviteInvalid) as exc:
        services.open_invite(expired.token)
    assert (exc.value.code, exc.value.status) == ("invite_expired", 410)

    revoked = invite_for(top, levels[1])
    services.revoke_invite(revoked, user=top.user)
    with pytest.raises(services.InviteInvalid):
        services.open_invite(revoked.token)

    once = invite_for(top, levels[1], max_uses=1)
    apply_with(once)
    with pytest.raises(services.InviteInvalid) as exc:
        apply_with(once)
    assert exc.value.code == "invite_used"


def test_a_link_is_single_use_per_applicant(levels, top):
    invite = invite_for(top, levels[1])
    app = apply_with(invite, phone="+8613912345678")
    services.decide(app, user=top.user, approve=False, reason="资料不全")
    with pytest.raises(services.InviteInvalid) as exc:
        apply_with(invite, phone="13912345678")
    assert exc.value.code == "invite_reused"
    apply_with(invite)  # another person may still use the same poster


def test_pages_refuse_forged_and_expired_links(client, levels, top):
    invite = invite_for(top, levels[1])
    assert client.get(f"/join/{invite.token}/").status_code == 200
    assert client.get(f"/join/{invite.token[:-2]}xx/").status_code == 404
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    response = client.get(f"/join/{invite.token}/")
    assert response.status_code == 410 and "过期" in response.content.decode()


def test_a_frozen_inviters_links_stop_working(levels, top):
    invite = invite_for(top, levels[1])
    type(top).objects.filter(pk=top.pk).update(status="frozen")
    with pytest.raises(services.InviteInvalid):
        services.open_invite(invite.token)
    type(top).objects.filter(pk=top.pk).update(status="active")
    assert services.open_invite(invite.token) == invite
