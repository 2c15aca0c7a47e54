"""Pages with scripts, in a real browser under the Content-Security-Policy: htmx scan-out
(refusals shown, not swallowed) and the diversion chart, with no CSP violation logged."""

import os
import shutil

import pytest
from django.urls import reverse
from django.utils import translation

from tests.browser import sign_in
from weishang.codes import services
from weishang.codes.codec import normalize
from weishang.codes.location import Place

from .conftest import code_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
    # as tests/codes/test_browser.py: the live server's keep-alive threads hold PostgreSQL connections
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="browser checks run on SQLite"),
]


def _watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return problems


def _csp(problems):
    return [p for p in problems if "Content Security Policy" in p or "Permissions-Policy" in p
            or p.startswith("page error")]


def test_refused_scan_out_shows_its_message(live_server, transactional_db, browser, batch, hq, net):
    top, _, _ = net
    shipment = services.open_shipment(user=hq, to_agent=top)
    url = reverse("codes:ship_scan", args=[shipment.pk])
    page = sign_in(browser, live_server, hq.phone, url)
    problems = _watch_console(page)
    page.reload()
    case = code_of(batch, batch.case_start)
    # accepted: htmx swaps the list in and empties the field for the next code
    page.fill("#scan-form input[name=code]", case)
    page.click("#scan-form button[type=submit]")
    page.wait_for_selector("#ship-lines .ship-lines li")
    assert page.input_value("#scan-form input[name=code]") == ""
    # refused (400, the same case again): the message appears in the page
    page.fill("#scan-form input[name=code]", case)
    page.click("#scan-form button[type=submit]")
    toast = page.wait_for_selector("#toasts .toast")
    with translation.override("zh-hans"), pytest.raises(services.DomainError) as refused:
        services.scan_out(user=hq, shipment=shipment, code=case)
    assert str(refused.value.message) in toast.text_content()
    assert page.get_attribute("#toasts", "aria-live") == "assertive"
    assert _csp(problems) == []
    page.context.close()


def test_diversion_chart_draws(live_server, transactional_db, browser, batch, hq, net, factories):
    top, _, _ = net
    from django.contrib.auth.models import Group

    services.scan_out(user=hq, shipment=services.open_shipment(user=hq, to_agent=top),
                      code=code_of(batch, batch.case_start))
    for i, division in enumerate(("110100", "310100", "310100")):  # Beijing once, Shanghai twice
        s = batch.serial_start + i
        services.record_scan(code=normalize(code_of(batch, s)), batch=batch, serial=s,
                             place=Place(division, "choice"), person=f"p{i}")
    admin = factories.staff("operator")
    admin.groups.add(Group.objects.get(name="admin"))
    page = sign_in(browser, live_server, admin.phone, reverse("codes:alerts"), viewport={"width": 390, "height": 844})
    problems = _watch_console(page)
    page.reload()
    page.wait_for_function("""() => {
        const el = document.getElementById('alerts-chart');
        const chart = el && window.echarts && window.echarts.getInstanceByDom(el);
        return chart && chart.getOption().series[0].data.length > 0;
    }""")
    data = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('alerts-chart'));
        const o = chart.getOption();
        return {names: o.yAxis[0].data, values: o.series[0].data};
    }""")
    assert sorted(zip(data["values"], data["names"], strict=True)) == [(1, "北京市"), (2, "上海市")]
    # the canvas has pixels drawn on it, not only its blank background
    painted = page.evaluate("""() => {
        const canvas = document.querySelector('#alerts-chart canvas');
        const ctx = canvas.getContext('2d');
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return n;
    }""")
    assert painted > 500
    assert _csp(problems) == []
    page.context.close()
