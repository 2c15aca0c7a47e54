from __future__ import annotations

import pytest

from tests import factories as f
from tests.foundation.conftest import Api

PASSWORD = "Apply-Test-2026"


@pytest.fixture
def levels(db):
    return f.standard_levels()


@pytest.fixture
def top(levels):
    """A 总代 with an account."""
    return f.agent(levels[0], name="王总代", province_code="440000", city_code="440300", district_code="440305")


def invite_for(agent_or_user, level, **kw):
    from weishang.recruitment import services

    user = getattr(agent_or_user, "user", agent_or_user)
    return services.create_invite(user=user, level=level, **kw)


def application_data(**kw) -> dict:
    data = {"name": "李晓明", "phone": f.phone(), "wechat_id": "lixm_2026", "line_id": "",
            "province_code": "440000", "city_code": "440300", "district_code": "440305", "password": PASSWORD}
    data.update(kw)
    return data


def apply_with(invite, **kw):
    from weishang.recruitment import services

    return services.apply(token=invite.token, **application_data(**kw))


@pytest.fixture
def agent_api(client):
    from weishang.accounts.services import issue_token

    def make(agent_or_user):
        user = getattr(agent_or_user, "user", agent_or_user)
        return Api(client, issue_token(user, "test"))

    return make


@pytest.fixture
def api(client):
    return Api(client)
