"""An applicant opens an invite link on a phone, fills the form (the region through the
htmx cascade), applies, and lands on the status page.

Runs Debian's chromium through Playwright; skipped without /usr/bin/chromium unless CI=true."""

from __future__ import annotations

import pytest

from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_applicant_applies_on_a_phone(browser, live_server, transactional_db):
    from weishang.recruitment import services
    from weishang.recruitment.models import Application

    zong, yi, _er = f.standard_levels()
    top = f.agent(zong, name="王总代")
    invite = services.create_invite(user=top.user, level=yi)

    phone = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True,
                                has_touch=True, device_scale_factor=2)
    page = phone.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/join/{invite.token}/")
    assert "王*代" in page.content() and "没有入门费" in page.content()
    # nothing overflows the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.fill("input[name=name]", "陈小春")
    page.fill("input[name=phone]", "139 1234 8888")
    page.fill("input[name=wechat_id]", "chenxc_88")
    page.select_option("select[name=region_province]", "440000")
    page.wait_for_selector("select[name=region_city] option[value='440300']", state="attached")
    page.select_option("select[name=region_city]", "440300")
    page.wait_for_selector("select[name=region_district] option[value='440305']", state="attached")
    page.select_option("select[name=region_district]", "440305")
    page.fill("input[name=password]", "Chen-Xiaochun-2026")
    submit = page.locator("button[type=submit]", has_text="提交申请")
    box = submit.bounding_box()
    assert box is not None and box["height"] >= 44
    submit.click()
    page.wait_for_url(f"{live_server.url}/join/status/**")
    assert "等待上级审批" in page.content()
    app = Application.objects.get(phone="+8613912348888")
    assert (app.name, app.district_code, app.inviter_id) == ("陈小春", "440305", top.pk)
    assert app.ref in page.url
    phone.close()
