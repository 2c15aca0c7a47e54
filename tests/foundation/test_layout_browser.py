"""On a 390×844 phone, the main pages' controls are big enough to tap (44×44 px) and their
text is readable (contrast ≥ 4.5:1, 3:1 for large text), measured with getComputedStyle;
and a flash message says what the action did (item 11.10)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import translation

from tests import factories
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}

# Every visible control in a form, every button-looking link, and every link in a list of
# actions: its own box, or for a radio/checkbox the label around it, must be ≥ 44×44.
MEASURE = """() => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const out = [];
  const seen = new Set();
  const sel = 'main form button, main form input:not([type=hidden]), main form select, main form textarea,' +
              'main form a, main .btn, main summary.btn, .topbar a, .footer button, .tabbar a, main .chips a,' +
              'main .status-tabs a, main .me-order-tabs a, main .sku-chip span';
  for (const el of document.querySelectorAll(sel)) {
    let box = el;
    if (el.type === 'radio' || el.type === 'checkbox') box = el.closest('label') || el;
    if (seen.has(box)) continue; seen.add(box);
    const r = box.getBoundingClientRect();
    const st = getComputedStyle(box);
    if (r.width === 0 || r.height === 0 || st.visibility === 'hidden' || st.display === 'none') continue;
    if (r.width < 44 || r.height < 44)
      out.push(`${box.tagName.toLowerCase()}${box.name ? '[name=' + box.name + ']' : ''} "${(box.innerText || box.value || box.placeholder || '').trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return out;
}"""

CONTRAST = """() => {
  const rgb = s => { const m = s.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                                return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const blend = (top, under) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (const c of layers.reverse()) bg = blend(c, bg);
    return bg;
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    const st = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || st.visibility === 'hidden' || el.closest('[hidden],script,style,noscript,option')) continue;
    if (el.closest('button:disabled, input:disabled')) continue;
    const bg = background(el), fg = blend(rgb(st.color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) out.push(`"${node.textContent.trim().slice(0, 20)}" ${st.color} on rgb(${bg.slice(0, 3).map(Math.round)}) ${ratio.toFixed(2)}`);
  }
  return out;
}"""


def _demo():
    from weishang.accounts.models import User

    with translation.override("zh-hans"):
        call_command("load_demo", verbosity=0, stdout=io.StringIO())
    for user in User.objects.all():
        user.set_password(factories.PASSWORD)
        user.save(update_fields=["password"])


def _pages():
    from weishang.orders.models import Order, OrderStatus

    consumer = "+8613900000001"
    refundable = Order.objects.filter(buyer__phone=consumer, status__in=[OrderStatus.PAID, OrderStatus.SHIPPED,
                                                                          OrderStatus.RECEIVED]).order_by("pk").first()
    any_order = Order.objects.filter(buyer__phone=consumer).order_by("pk").first()
    shop = any_order.seller_agent_id
    product = any_order.lines.first().sku.product_id
    return [
        (consumer, ["/", f"/orders/{(refundable or any_order).no}/", "/orders/", "/accounts/me/",
                    f"/orders/shop/{shop}/", f"/orders/shop/{shop}/categories/", f"/orders/shop/{shop}/p/{product}/",
                    f"/orders/shop/{shop}/cart/", "/orders/addresses/", "/orders/addresses/new/",
                    "/orders/?tab=bought&status=pending", f"/p/{product}/"]),
        ("+8613500000001", ["/agent/", "/orders/refunds/", "/payments/", "/orders/restock/", "/agent/applications/",
                            "/earnings/", "/agent/share/"]),
        ("+8613800000003", ["/earnings/hq/withdrawals/", "/payments/hq/topup/"]),
    ]


def test_controls_are_tappable_and_text_is_readable_on_a_phone(browser, live_server, transactional_db):
    _demo()
    problems = []
    for phone, urls in _pages():
        page = sign_in(browser, live_server, phone, urls[0], viewport=PHONE)
        for url in urls:
            page.goto(f"{live_server.url}{url}")
            problems += [f"{url} small: {p}" for p in page.evaluate(MEASURE)]
            problems += [f"{url} contrast: {p}" for p in page.evaluate(CONTRAST)]
        page.context.close()
    assert not problems, "\n".join(problems)


def test_a_flash_message_names_the_action(browser, live_server, transactional_db):
    """Cancelling an order says "order cancelled", not 已完成 (which reads as the status "completed")."""
    from tests.orders.helpers import build_tree, give
    from weishang.orders import services as orders

    t = build_tree(factories)
    give(t.mid, t.sku, 2)
    order = orders.create_restock(user=t.low.user, lines=[(t.sku.pk, 1)])
    page = sign_in(browser, live_server, str(t.low.user.phone), f"/orders/{order.no}/", viewport=PHONE)
    page.on("dialog", lambda d: d.accept())
    page.click("form[action$='/cancel/'] button")
    page.wait_for_selector(".msg")
    flash = page.inner_text(".messages")
    assert "订单已取消" in flash and "已完成" not in flash
    page.context.close()
