"""An agent on a phone-sized screen sees pending and available earnings, is refused a
withdrawal above its available balance, then requests one that finance can approve."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories as f
from tests.browser import sign_in
from weishang.earnings import services as S
from weishang.earnings.models import Withdrawal

from .conftest import restock

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_agent_withdraws_on_a_phone(browser, live_server, transactional_db, tmp_path):
    top_l, mid_l, low_l = f.standard_levels()
    top = f.agent(top_l, name="总代")
    mid = f.agent(mid_l, upline=top, name="一级小王", user=f.user(phone="+8613912340001"))
    low = f.agent(low_l, upline=mid)
    S.settle_lines([restock("P1", low, mid, "880.00", order="WS-P1"), restock("P2", low, mid, "90.00",
                                                                               order="WS-P2")])
    S.mark_received("WS-P1", timezone.now() - timedelta(days=8))
    S.release_due()

    page = sign_in(browser, live_server, "139 1234 0001", "/earnings/")
    text = page.inner_text("main")
    assert "¥880.00" in text and "¥90.00" in text and "WS-P2" in text and "收货后 7 天" in text
    page.on("dialog", lambda d: d.accept())
    page.fill("input[name=amount]", "900")
    page.fill("input[name=payee_name]", "王小明")
    page.fill("input[name=payee_account]", "6222000011112222")
    page.click("form button[type=submit].btn-primary")
    page.locator(".field.has-error .error").first.wait_for()
    assert "最多可提现" in page.inner_text("main")
    assert not Withdrawal.objects.exists()
    page.fill("input[name=amount]", "500")
    page.click("form button[type=submit].btn-primary")
    page.wait_for_url(f"{live_server.url}/earnings/")
    page.locator(".msg").first.wait_for()
    page.screenshot(path=str(tmp_path / "earnings-phone.png"), full_page=True)
    assert Withdrawal.objects.get().amount == 500
    assert "¥380.00" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.context.close()
