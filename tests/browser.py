"""Signing in through the login page in a browser test (Debian's chromium; the `browser`
fixture is in tests/conftest.py)."""

from __future__ import annotations

import statistics

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


PAGE_TIMING = """() => { const n = performance.getEntriesByType('navigation')[0];
  return [n.domContentLoadedEventEnd, n.loadEventEnd]; }"""


def phone_load(browser, url: str, *, state=None, viewport: dict = PHONE, runs: int = 3) -> dict:
    """What a fresh phone load of `url` costs, product images excluded: `bytes`, the sum of the
    bodies of every response it takes (uncompressed, as the server sent them), and the median over
    `runs` fresh contexts (nothing cached) of the navigation timing's `dom_ms` (DOMContentLoaded
    end) and `load_ms` (load event end), in ms from the start of navigation."""
    sizes: list[int] = []
    dom, load = [], []
    for run in range(runs):
        ctx = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=True, storage_state=state)
        page = ctx.new_page()

        def record(response):
            if response.request.resource_type != "image" and "/media/" not in response.url:
                try:
                    sizes.append(len(response.body()))
                except Exception:  # a redirect has no body
                    sizes.append(0)

        if run == 0:
            page.on("response", record)
        page.goto(url, wait_until="networkidle")
        d, lo = page.evaluate(PAGE_TIMING)
        dom.append(d)
        load.append(lo)
        ctx.close()
    return {"bytes": sum(sizes), "dom_ms": round(statistics.median(dom)), "load_ms": round(statistics.median(load))}
