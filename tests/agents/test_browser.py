"""An agent on a phone-sized screen opens its team: switches to the whole team, loads the
next page in place (htmx), filters by level, opens a member; nothing overflows sideways."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories as f
from tests.browser import sign_in
from weishang.agents import services

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_team_on_a_phone(browser, live_server, transactional_db, tmp_path):
    top_l, mid_l, low_l = f.standard_levels()
    top = f.agent(top_l, name="总代张丽", user=f.user(phone="+8613912345601"))
    mids = [f.agent(mid_l, upline=top, name=f"一级{i:02d}") for i in range(24)]
    leaf = f.agent(low_l, upline=mids[0], name="二级小林")
    services.record_purchase_volume(leaf, Decimal("1280.00"), timezone.now())

    page = sign_in(browser, live_server, "139 1234 5601", "/agent/", viewport={"width": 375, "height": 780})
    hub = page.inner_text("main")
    assert "今日与本月" in hub and "总代张丽" in hub and "¥1,280.00" in hub
    page.click("text=我的团队")
    page.wait_for_url(f"{live_server.url}/agent/team/")
    assert page.locator(".team-list .member").count() == 20
    page.click(".team-list .more a")  # htmx appends the next page in place
    # predicates are functions: a string expression would be eval'd, which the CSP forbids
    page.wait_for_function("() => document.querySelectorAll('.team-list .member').length === 24")
    assert page.url == f"{live_server.url}/agent/team/"
    page.click(".seg a[href='?scope=whole']")
    page.wait_for_url("**/agent/team/?scope=whole")
    page.select_option("select[name=level]", str(low_l.pk))  # htmx swaps the rows on change
    page.wait_for_function("() => document.querySelectorAll('.team-list .member').length === 1")
    assert "二级小林" in page.inner_text("#team-rows") and "一级05" not in page.inner_text("#team-rows")
    page.click("text=二级小林")
    page.wait_for_url(f"**/agent/team/{leaf.pk}/")
    assert "¥1,280.00" in page.inner_text("main") and "还没有下级代理" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "team-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.context.close()
