"""An agent on a phone-sized screen opens "my level" (Chinese by default): its level, how much
more to buy this period with a progress bar, and its prices, without sideways scrolling."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories as f
from tests.browser import sign_in
from weishang.agents import services

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def _chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"


def test_my_level_on_a_phone(browser, live_server, transactional_db, _chinese):
    f.level(1, "总代")
    one = f.level(2, "一级", upgrade_single_purchase=Decimal("3000"), upgrade_cumulative_amount=Decimal("8000"),
                  upgrade_period_days=30)
    two = f.level(3, "二级")
    sku = f.sku(retail_price=Decimal("128"), floor_price=Decimal("50"))
    f.level_price(two, sku, "90")
    f.level_price(one, sku, "70")
    me = f.agent(two, name="二级小李", user=f.user(phone="+8613912340077"))
    services.record_purchase_volume(me, Decimal("2000"), timezone.now())

    page = sign_in(browser, live_server, "139 1234 0077", "/agent/level/", viewport={"width": 375, "height": 780})
    text = page.inner_text("main")
    assert "我的级别" in text and "二级" in text and "下一级别：一级" in text
    assert "还需进货 ¥6,000.00" in text and "¥90.00" in text
    assert page.eval_on_selector("progress.lv-bar", "el => el.value") == 25
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.context.close()
