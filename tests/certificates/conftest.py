from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def cert_agent(db):
    zong, yi, _er = f.standard_levels()
    agent = f.agent(yi, name="张三明", user=f.user(phone="+8613912399001"), wechat_id="zsm_wx",
                    province_code="440000", city_code="440300", district_code="440305")
    return agent


@pytest.fixture
def cert(cert_agent):
    from weishang.certificates.services import issue_certificate

    return issue_certificate(cert_agent, channels=["wechat", "line"], valid_days=365)
