from __future__ import annotations

from decimal import Decimal

import pytest

from tests import factories as f
from weishang.catalog.demo import load as load_catalog_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_catalog():
    ctx: dict = {}
    load_catalog_demo(ctx)
    return ctx


def test_product_list_and_detail(client, demo_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):  # + which shop the page leads into (orders.sharing.shop_for)
        resp = client.get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    for product in demo_catalog["products"]:
        assert product.name in html
        assert f'href="/p/{product.pk}/"' in html
    assert "¥128.00" in html  # cheapest of the serum's two sizes
    product = demo_catalog["products"][0]
    with django_assert_max_num_queries(4):
        resp = client.get(f"/p/{product.pk}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "30ml" in html and "50ml" in html and "¥198.00" in html and "三重玻尿酸" in html
    assert '<meta name="viewport"' in html


def test_query_count_does_not_grow_with_products(client, django_assert_max_num_queries):
    line = f.product_line()
    for i in range(30):
        f.sku(product=f.product(line=line, name=f"商品{i}"), code=f"Q{i}")
    with django_assert_max_num_queries(5):
        assert client.get("/").status_code == 200


def test_product_line_filter(client, demo_catalog):
    from weishang.catalog.models import ProductLine

    line = ProductLine.objects.get(name="修护舒缓系列")
    html = client.get(f"/?line={line.pk}").content.decode()
    assert "澜溪积雪草修护霜" in html and "澜溪玻尿酸水润精华液" not in html
    assert f'class="chip active" href="/?line={line.pk}"' in html
    # an unknown or malformed line shows everything rather than an error
    for bad in ("999999", "abc", "1e9", "-1"):
        html = client.get(f"/?line={bad}").content.decode()
        assert "澜溪玻尿酸水润精华液" in html and "澜溪积雪草修护霜" in html


def test_off_shelf_product_is_404_and_hidden(client):
    hidden = f.sku(product=f.product(on_shelf=False, name="下架商品")).product
    assert client.get(f"/p/{hidden.pk}/").status_code == 404
    assert "下架商品" not in client.get("/").content.decode()
    assert client.get("/p/999999/").status_code == 404


def test_twd_sku_shows_without_decimals(client):
    sku = f.sku(currency="TWD", retail_price=Decimal("1280"), floor_price=Decimal("990"),
                ceiling_price=Decimal("1490"))
    html = client.get(f"/p/{sku.product_id}/").content.decode()
    assert "NT$1,280" in html and "NT$1,280.00" not in html


def test_language_defaults_to_simplified_and_switches(client, demo_catalog):
    html = client.get("/").content.decode()
    assert 'lang="zh-hans"' in html and "全部商品" in html
    resp = client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    assert resp.status_code == 302
    html = client.get("/").content.decode()
    assert 'lang="zh-hant"' in html and "全部商品" in html and "登入" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="en"' in html and "All products" in html and "Log in" in html
    # remembered across pages
    assert "Log in" in client.get("/accounts/login/").content.decode()


def test_browser_language_is_used_when_nothing_chosen(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9").content.decode()
    assert "登入" in html and "手機號碼" in html
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Phone number" in html


def test_healthz(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.content == b"ok"


def test_readyz_answers_once_the_database_does(client, django_assert_num_queries, monkeypatch):
    from django.db import OperationalError
    from django.db.migrations.recorder import MigrationRecorder

    with django_assert_num_queries(1):
        resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.content == b"ok" and "no-cache" in resp["Cache-Control"]

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(type(MigrationRecorder.Migration.objects.none()), "first", down)
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.content == b"database unavailable"
    monkeypatch.undo()
    MigrationRecorder.Migration.objects.all().delete()  # rolled back with the test
    assert client.get("/readyz").status_code == 503


def test_static_assets_are_served(client):
    # whitenoise with finders: no collectstatic needed for the embedded default
    for path in ("/static/css/app.css", "/static/vendor/htmx/htmx.min.js", "/static/vendor/echarts/echarts.min.js"):
        resp = client.get(path)
        assert resp.status_code == 200, path


def test_not_found_page_is_friendly_and_translated(client):
    resp = client.get("/p/424242/")
    assert resp.status_code == 404
    html = resp.content.decode()
    assert "页面不存在" in html and 'href="/"' in html
    resp = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 404 and "Page not found" in resp.content.decode()


def test_server_error_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "出错" in html or "錯誤" in html or "went wrong" in html
