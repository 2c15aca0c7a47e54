"""The back office opens on the dashboard and its charts draw, on a phone and on a desk,
under the Content-Security-Policy."""

import os
import shutil

import pytest

from tests.browser import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="browser checks run on SQLite"),
]

CHARTS = ("chart-trend", "chart-level", "chart-province")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}],
                         ids=["phone", "desktop"])
def test_dashboard_charts_draw(live_server, transactional_db, browser, sales, viewport, tmp_path):
    hq = sales["tree"].hq_user
    page = sign_in(browser, live_server, hq.phone, "/admin/", viewport=viewport, mobile=viewport["width"] < 500)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.reload()
    for chart in CHARTS:
        page.wait_for_function("""(id) => {
            const el = document.getElementById(id);
            const c = el && window.echarts && window.echarts.getInstanceByDom(el);
            return c && c.getOption().series.some(s => s.data.some(v => v > 0));
        }""", arg=chart)
        painted = page.evaluate("""(id) => {
            const canvas = document.querySelector('#' + id + ' canvas');
            const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
            return n;
        }""", chart)
        assert painted > 500, chart
    trend = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chart-trend')).getOption()")
    assert sum(trend["series"][-1]["data"]) == 3  # the orders bars: three sales today
    level = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chart-level')).getOption()")
    assert len(level["xAxis"][0]["data"]) == 2  # the 二级 level and consumers
    # the figures and the HQ pages are on the page too
    assert page.locator("#card-sales .hq-big").text_content().startswith("¥")
    assert page.locator(".hq-pages a").count() >= 9
    # no sideways scrolling on the phone
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot = os.environ.get("DASHBOARD_SHOTS")
    if shot:
        page.screenshot(path=f"{shot}/dashboard-{viewport['width']}.png", full_page=True)
    assert [p for p in problems if "Content Security Policy" in p or p.startswith("page error")] == []
    page.context.close()
