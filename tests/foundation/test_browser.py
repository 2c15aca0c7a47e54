"""HQ creates a SKU in the back office with a floor price above retail, sees the error,
fixes it, and the product shows on the consumer page on a phone-sized screen.

Runs Debian's chromium through Playwright. Without /usr/bin/chromium the test is skipped,
except under CI=true where a missing browser is a failure (.ci/run installs it)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests import factories as f
from tests.browser import sign_in
from weishang.catalog.demo import demo_gtin

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_hq_creates_a_sku_fixes_the_price_error_and_consumer_sees_it(browser, live_server, transactional_db):
    from weishang.catalog.models import SKU

    f.user(phone="+8613800000009", is_staff=True, is_superuser=True, name="总部管理员")
    product = f.product(name="澜溪积雪草修护霜", line=f.product_line(name="修护舒缓系列"))

    page = sign_in(browser, live_server, "138 0000 0009", "/admin/", ask_for=False,
                   viewport={"width": 1280, "height": 900}, mobile=False)

    page.goto(f"{live_server.url}/admin/catalog/sku/add/")
    # product is an autocomplete (select2) field: open it, search, pick
    page.click(".field-product .select2-selection")
    page.fill(".select2-search__field", "积雪草")
    page.click(".select2-results__option:has-text('澜溪积雪草修护霜')")
    page.fill("input[name=name]", "80g")
    page.fill("input[name=code]", "LX-CA-80")
    page.fill("input[name=gtin]", demo_gtin(17))
    page.fill("input[name=retail_price]", "268.00")
    page.fill("input[name=floor_price]", "299.00")  # above retail: refused
    page.fill("input[name=ceiling_price]", "328.00")
    page.click("input[name=_save]")
    error = page.locator(".field-floor_price .errorlist, .errorlist:near(input[name=floor_price])").first
    error.wait_for()
    assert "最低价不能高于零售价" in error.inner_text()
    assert not SKU.objects.exists()

    page.fill("input[name=floor_price]", "218.00")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert page.locator(".errorlist").count() == 0, page.locator(".errornote, .errorlist").all_inner_texts()
    page.wait_for_url(f"{live_server.url}/admin/catalog/sku/")
    sku = SKU.objects.get(code="LX-CA-80")
    assert (sku.product_id, sku.retail_price, sku.floor_price) == (product.pk, Decimal("268.00"), Decimal("218.00"))
    page.context.close()

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/")
    card = page.locator(".product-card", has_text="澜溪积雪草修护霜")
    assert "¥268.00" in card.inner_text()
    card.click()
    page.wait_for_url(f"{live_server.url}/p/{product.pk}/")
    assert "80g" in page.inner_text(".sku-list") and "¥268.00" in page.inner_text(".sku-list")
    # fits the phone: nothing wider than the viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
