"""The restock form (issue 13 #2): pictures, level price beside retail and margin, − / +
steppers and a running total, quantities validated on the server, and a warning before
submitting when the upline lacks the stock."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.browser import sign_in
from tests.orders.helpers import give
from weishang.orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings, client):
    settings.LANGUAGE_CODE = "en"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def test_form_shows_level_price_retail_and_margin(client, tree):
    client.force_login(tree.low.user)
    html = client.get("/orders/restock/").content.decode()
    # low's level price ¥90.00, retail ¥128.00: it earns ¥38.00 a unit at retail.
    assert "¥90.00" in html and "Retail ¥128.00" in html and "You earn ¥38.00" in html
    assert 'data-step="1"' in html and 'data-price="90.00"' in html and "restock.js" in html


@pytest.mark.parametrize("qty, message", [("1.5", "Quantities must be whole numbers."),
                                          ("-2", "The quantity must be at least 1."),
                                          ("1000", "At most 999 per order.")])
def test_bad_quantities_are_refused_with_a_message_and_kept(client, tree, qty, message):
    client.force_login(tree.low.user)
    r = client.post("/orders/restock/", {f"qty_{tree.sku.pk}": qty, f"qty_{tree.sku2.pk}": "2",
                                              "idempotency_key": "k-bad"})
    assert r.status_code == 400
    html = r.content.decode()
    assert message in html and f'value="{qty}"' in html and 'value="2"' in html
    assert not Order.objects.exists()


def test_warning_when_the_upline_lacks_stock(client, tree):
    give(tree.mid, tree.sku, 3)
    client.force_login(tree.low.user)
    r = client.post("/orders/restock/check/", {f"qty_{tree.sku.pk}": "5"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and "supply-warning" in html
    assert "一级B does not have all of this in stock now" in html and "3 available, you want 5" in html
    assert "If it has not within 24 hours, the order passes up to 总代A" in html
    # Enough stock: no warning.
    r = client.post("/orders/restock/check/", {f"qty_{tree.sku.pk}": "3"}, HTTP_HX_REQUEST="true")
    assert "supply-warning" not in r.content.decode()
    # And what the warning said is what happens.
    r = client.post("/orders/restock/", {f"qty_{tree.sku.pk}": "5", "idempotency_key": "k1"})
    order = Order.objects.get()
    assert order.status == OrderStatus.AWAITING_STOCK and order.seller_agent_id == tree.mid.pk


def test_warning_says_it_passes_up_at_once_without_a_wait(client, tree, settings):
    settings.ORDERS_RESTOCK_WAIT_HOURS = 0
    client.force_login(tree.low.user)
    html = client.post("/orders/restock/check/", {f"qty_{tree.sku.pk}": "2"}).content.decode()
    assert "it passes up at once to 总代A" in html


def test_warning_when_hq_lacks_stock(client, tree):
    client.force_login(tree.top.user)  # 总代 buys from HQ
    html = client.post("/orders/restock/check/", {f"qty_{tree.sku.pk}": "2"}).content.decode()
    assert "HQ does not have all of this" in html and "waits until HQ has restocked" in html


@pytest.mark.browser
def test_steppers_and_running_total_on_a_phone(browser, live_server, transactional_db, factories):
    from tests.orders.helpers import build_tree

    t = build_tree(factories)
    give(t.mid, t.sku, 1)
    page = sign_in(browser, live_server, str(t.low.user.phone), "/orders/restock/",
                   viewport={"width": 390, "height": 844})
    plus = page.locator(f"button[aria-controls=qty_{t.sku.pk}][data-step='1']")
    plus2 = page.locator(f"button[aria-controls=qty_{t.sku2.pk}][data-step='1']")
    box = plus.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44
    assert page.inner_text("#restock-total") == "¥0.00"
    plus.click()
    plus.click()
    plus2.click()
    # 2 × ¥90 + 1 × ¥35
    page.wait_for_function("() => document.getElementById('restock-total').textContent === '¥215.00'")
    page.locator(f"button[aria-controls=qty_{t.sku.pk}][data-step='-1']").click()
    page.wait_for_function("() => document.getElementById('restock-total').textContent === '¥125.00'")
    page.fill(f"#qty_{t.sku.pk}", "12")
    page.wait_for_function("() => document.getElementById('restock-total').textContent === '¥1,115.00'")
    page.locator(f"#qty_{t.sku.pk}").dispatch_event("change")
    # The upline has 1 unit: the warning shows before submitting.
    page.wait_for_selector(".supply-warning")
    warning = page.inner_text(".supply-warning")
    assert "一级B" in warning and "12" in warning
    page.screenshot(path="/tmp/restock.png", full_page=True)
    page.on("dialog", lambda d: d.accept())
    page.click("button[type=submit]")
    page.wait_for_url("**/orders/WS*/")
    order = Order.objects.get()
    assert sorted((line.sku_id, line.quantity) for line in order.lines.all()) == sorted(
        [(t.sku.pk, 12), (t.sku2.pk, 1)])
    page.context.close()
