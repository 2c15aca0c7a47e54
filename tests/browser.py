"""Signing in through the login page in a browser test (Debian's chromium; the `browser`
fixture is in tests/conftest.py)."""

from __future__ import annotations

from tests import factories

PHONE = {"width": 360, "height": 780}


def sign_in(browser, live_server, phone: str, to: str, *, ask_for: bool = True, viewport: dict = PHONE,
            mobile: bool = True):
    """A new browser context signed in as `phone` (the factories' password) and on `to`:
    the login page is opened with ?next=`to`, or, with ask_for=False, without it and the
    login's own redirect is expected to land on `to`. Close it with page.context.close()."""
    ctx = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=mobile)
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/" + (f"?next={to}" if ask_for else ""))
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{to}")
    return page
