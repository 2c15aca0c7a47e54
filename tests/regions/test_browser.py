"""The region picker in a real browser: htmx cascade, and the no-JavaScript fallback."""

import shutil

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.urls("tests.regions.browser_urls"),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]


def test_cascade_with_htmx(live_server, browser, transactional_db):
    page = browser.new_page()
    page.goto(f"{live_server.url}/region-form/")
    page.select_option("#id_region_0", "440000")
    page.wait_for_selector('#id_region_1 option[value="440300"]', state="attached")
    page.select_option("#id_region_1", "440300")
    page.wait_for_selector('#id_region_2 option[value="440305"]', state="attached")
    page.select_option("#id_region_2", "440305")
    page.click("#go")
    assert page.text_content("#result").strip() == "440305 广东省深圳市南山区"
    # changing the province again clears city and district
    page.select_option("#id_region_0", "710000")
    page.wait_for_selector('#id_region_1 option[value="716300"]', state="attached")
    assert page.input_value("#id_region_1") == ""
    assert page.eval_on_selector("#id_region_2", "el => el.options.length") == 1


def test_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/region-form/")
    page.select_option("#id_region_0", "710000")
    page.click('button[name="region_refresh"]')
    page.wait_for_selector('#id_region_1 option[value="716300"]', state="attached")
    assert page.input_value("#id_region_0") == "710000"
    page.select_option("#id_region_1", "716300")
    page.click('button[name="region_refresh"]')
    page.wait_for_selector('#id_region_2 option[value="716305"]', state="attached")
    page.select_option("#id_region_2", "716305")
    page.click("#go")
    assert page.text_content("#result").strip() == "716305 臺灣臺北市大安區"
    context.close()
