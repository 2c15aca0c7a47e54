from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tests import factories as f
from tests.foundation.conftest import assert_error_shape
from weishang.catalog.demo import demo_gtin
from weishang.catalog.gtin import gtin_check_digit, is_valid_gtin
from weishang.catalog.models import SKU, Product, ProductImage
from weishang.core.money import MoneyError, format_money, parse_amount

pytestmark = pytest.mark.django_db


def png_bytes(size=(40, 40), color=(200, 80, 120)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def sku_payload(**kw) -> dict:
    data = {"name": "50ml", "code": "LX-T-50", "gtin": demo_gtin(77), "currency": "CNY", "retail_price": "128.00",
            "floor_price": "98.00", "ceiling_price": "158.00", "weight_grams": 120}
    data.update(kw)
    return data


# --- pure rules ---------------------------------------------------------------------------
def test_gtin_check_digits():
    assert is_valid_gtin("6901234567892")  # a published EAN-13 example
    assert not is_valid_gtin("6901234567893")
    assert is_valid_gtin("96385074")  # GTIN-8
    assert not is_valid_gtin("690123456789X") and not is_valid_gtin("123")
    assert all(is_valid_gtin(demo_gtin(n)) and demo_gtin(n).startswith("690") for n in range(1, 20))


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_single_digit_error_is_caught(body):
    code = body + str(gtin_check_digit(body))
    assert is_valid_gtin(code)
    for i in range(13):
        for d in "0123456789":
            if d != code[i]:
                assert not is_valid_gtin(code[:i] + d + code[i + 1:])
                break


@given(st.decimals(min_value=0, max_value=Decimal("99999999999999"), places=2, allow_nan=False))
def test_cny_amounts_round_trip(amount):
    assert parse_amount(str(amount), "CNY") == amount


@given(st.integers(min_value=0, max_value=10**12))
def test_twd_whole_amounts_are_accepted_and_shown_without_decimals(n):
    assert parse_amount(n, "TWD") == Decimal(n)
    assert "." not in format_money(Decimal(n), "TWD")


@pytest.mark.parametrize(("value", "currency"), [("12.345", "CNY"), ("12.5", "TWD"), ("-1", "CNY"), ("abc", "CNY"),
                                                  ("NaN", "CNY"), ("Infinity", "CNY"), ("1e100", "CNY"),
                                                  ("1E+30", "TWD"), ("", "CNY"), ("1", "USD")])
def test_bad_amounts_raise_money_error(value, currency):
    with pytest.raises(MoneyError):
        parse_amount(value, currency)


def test_money_formatting():
    assert format_money(Decimal("1280"), "TWD") == "NT$1,280"
    assert format_money(Decimal("128"), "CNY") == "¥128.00"
    assert parse_amount("-0", "CNY") == 0 and str(parse_amount("-0", "CNY")) == "0.00"


# --- API: reads -------------------------------------------------------------------------------
def test_public_product_list_shows_only_shelf_items(api):
    shown = f.sku(code="A1").product
    f.sku(code="A2", product=shown, retail_price=Decimal("99.00"), floor_price=Decimal("50.00"))
    f.sku(code="B1", on_shelf=False)  # product with no SKU on shelf
    f.sku(code="C1", product=f.product(on_shelf=False))
    resp = api.get("/catalog/products")
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == 1
    assert [s["code"] for s in body["items"][0]["skus"]] == ["A1", "A2"]
    assert body["items"][0]["skus"][0]["retail_price"] == "128.00"
    assert api.get("/catalog/products", line_id=shown.line_id).json()["count"] == 1
    assert api.get("/catalog/products", line_id=424242).json()["count"] == 0
    assert api.get("/catalog/products", line_id=2**70).status_code == 422
    assert api.get("/catalog/products", line_id=0).json()["fields"]["line_id"]
    assert [x["id"] for x in api.get("/catalog/lines").json()] == [shown.line_id]
    assert api.get("/catalog/products", limit=1000).status_code == 422
    assert api.get("/catalog/products", offset=-1).status_code == 422


def test_product_detail_404_and_huge_id(api):
    resp = api.get("/catalog/products/999999", lang="en")
    assert resp.status_code == 404
    assert resp.json() == {"code": "not_found", "message": "Product not found.", "fields": {}}
    resp = api.get(f"/catalog/products/{2**70}")
    assert resp.status_code == 422
    assert_error_shape(resp.json())


# --- API: writes and bad input ----------------------------------------------------------------
def test_staff_creates_product_and_sku(staff_api):
    line = f.product_line()
    resp = staff_api.post("/catalog/products", {"line_id": line.pk, "name": "澜溪玻尿酸水润精华液",
                                                "description": "三重玻尿酸"})
    assert resp.status_code == 201, resp.content
    pid = resp.json()["id"]
    supplier = f.supplier()
    resp = staff_api.post(f"/catalog/products/{pid}/skus",
                          sku_payload(drop_shipped=True, supplier_id=supplier.pk))
    assert resp.status_code == 201, resp.content
    sku = SKU.objects.get(code="LX-T-50")
    assert sku.retail_price == Decimal("128.00") and sku.supplier == supplier and sku.drop_shipped
    resp = staff_api.patch(f"/catalog/skus/{sku.pk}", {"retail_price": "138.00"})
    assert resp.status_code == 200 and resp.json()["retail_price"] == "138.00"
    resp = staff_api.post(f"/catalog/products/{pid}/skus", sku_payload(currency="TWD", code="LX-T-TW", gtin="",
                                                                       retail_price=590, floor_price=490,
                                                                       ceiling_price=690))
    assert resp.status_code == 201 and resp.json()["retail_price"] == "590.00"


BAD_SKUS = [
    ("too many decimals", {"retail_price": "128.001"}, "retail_price", "At most 2 decimal places"),
    ("TWD decimals", {"currency": "TWD", "retail_price": "590.5", "floor_price": "490", "ceiling_price": "690"},
     "retail_price", "TWD amounts must be whole numbers"),
    ("negative", {"floor_price": "-1.00"}, "floor_price", "cannot be negative"),
    ("floor above ceiling", {"floor_price": "200.00"}, "floor_price", "above the ceiling price"),
    ("floor above retail", {"floor_price": "130.00"}, "floor_price", "above the retail price"),
    ("retail above ceiling", {"retail_price": "160.00"}, "ceiling_price", "below the retail price"),
    ("bad GTIN", {"gtin": "6901234567893"}, "gtin", "not a valid GTIN"),
    ("unknown supplier", {"drop_shipped": True, "supplier_id": 987654}, "supplier_id", "does not exist"),
    ("drop-shipped without supplier", {"drop_shipped": True}, "supplier_id", "Choose the supplier"),
    ("NUL in name", {"name": "50\x00ml"}, "name", "not allowed"),
]


@pytest.mark.parametrize(("case", "change", "field", "message"), BAD_SKUS, ids=[c[0] for c in BAD_SKUS])
def test_bad_sku_input_is_refused_with_a_field_error_and_nothing_saved(staff_api, case, change, field, message):
    product = f.product()
    before = SKU.objects.count()
    resp = staff_api.post(f"/catalog/products/{product.pk}/skus", sku_payload(**change), lang="en")
    assert resp.status_code in (400, 422), resp.content
    body = resp.json()
    assert_error_shape(body)
    assert field in body["fields"], body
    assert any(message in m for m in body["fields"][field]), body
    assert SKU.objects.count() == before


def test_bad_update_leaves_the_sku_unchanged(staff_api):
    sku = f.sku()
    resp = staff_api.patch(f"/catalog/skus/{sku.pk}", {"floor_price": "150.00", "name": "100ml"}, lang="en")
    assert resp.status_code == 400 and "floor_price" in resp.json()["fields"]
    sku.refresh_from_db()
    assert sku.floor_price == Decimal("40.00") and sku.name == "50ml"


def test_duplicate_code_and_gtin(staff_api):
    existing = f.sku(code="LX-DUP", gtin=demo_gtin(5))
    resp = staff_api.post(f"/catalog/products/{existing.product_id}/skus", sku_payload(code="LX-DUP"), lang="en")
    assert resp.status_code == 400 and "code" in resp.json()["fields"]
    resp = staff_api.post(f"/catalog/products/{existing.product_id}/skus", sku_payload(gtin=demo_gtin(5)), lang="en")
    assert resp.status_code == 400, resp.content
    assert SKU.objects.count() == 1


def test_unknown_product_line_and_schema_errors(staff_api):
    resp = staff_api.post("/catalog/products", {"line_id": 424242, "name": "X"}, lang="en")
    assert resp.status_code == 400 and resp.json()["fields"]["line_id"] == ["This product line does not exist."]
    resp = staff_api.post("/catalog/products", {"name": ""}, lang="en")
    assert resp.status_code == 422
    body = resp.json()
    assert_error_shape(body)
    assert body["code"] == "validation_error"
    assert body["fields"]["line_id"] == ["This field is required."]
    assert Product.objects.count() == 0


def test_writes_need_staff_with_permission(api, consumer_api, client):
    product = f.product()
    assert api.post(f"/catalog/products/{product.pk}/skus", sku_payload()).status_code == 401
    resp = consumer_api.post(f"/catalog/products/{product.pk}/skus", sku_payload())
    assert resp.status_code == 401
    from weishang.accounts.services import issue_token

    consumer_api.token = issue_token(f.staff("finance"))
    resp = consumer_api.post(f"/catalog/products/{product.pk}/skus", sku_payload())
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    assert SKU.objects.count() == 0


def test_session_writes_need_csrf(client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(f.staff("operator"))
    line = f.product_line()
    resp = csrf_client.post("/api/v1/catalog/products", {"line_id": line.pk, "name": "X"},
                            content_type="application/json")
    assert resp.status_code in (401, 403)
    assert Product.objects.count() == 0


# --- API: image upload ------------------------------------------------------------------------
def test_image_upload_good_oversized_and_not_an_image(staff_api, settings):
    product = f.product()
    url = f"/catalog/products/{product.pk}/images"
    resp = staff_api.upload(url, {"file": SimpleUploadedFile("a.png", png_bytes(), "image/png")})
    assert resp.status_code == 201, resp.content
    product.refresh_from_db()
    assert product.image and ProductImage.objects.count() == 1  # the first photo becomes the main image

    resp = staff_api.upload(url, {"file": SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", "image/png")},
                            lang="en")
    assert resp.status_code == 400
    body = resp.json()
    assert_error_shape(body)
    assert "not an image" in body["fields"]["file"][0]

    settings.MAX_IMAGE_UPLOAD_BYTES = 1024
    big = png_bytes(size=(600, 600), color=(1, 2, 3)) + b"\0" * 2048
    resp = staff_api.upload(url, {"file": SimpleUploadedFile("big.png", big, "image/png")}, lang="en")
    assert resp.status_code == 400 and "too large" in resp.json()["fields"]["file"][0]
    resp = staff_api.upload(url, {}, lang="en")
    assert resp.status_code == 422 and resp.json()["fields"]["file"]
    assert ProductImage.objects.count() == 1


# --- admin form -------------------------------------------------------------------------------
def admin_sku_data(product, **kw) -> dict:
    data = {"product": product.pk, "name": "50ml", "code": "LX-ADM-50", "gtin": demo_gtin(9), "currency": "CNY",
            "retail_price": "128.00", "floor_price": "98.00", "ceiling_price": "158.00", "weight_grams": "120",
            "max_per_order": "999", "on_shelf": "on", "supplier": "", "position": "0"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


BAD_ADMIN = [
    ("too many decimals", {"retail_price": "128.001"}, "retail_price"),
    ("TWD decimals", {"currency": "TWD", "retail_price": "590.50", "floor_price": "490", "ceiling_price": "690"},
     "retail_price"),
    ("negative", {"floor_price": "-1"}, "floor_price"),
    ("floor above ceiling", {"floor_price": "200"}, "floor_price"),
    ("floor above retail", {"floor_price": "130"}, "floor_price"),
    ("bad GTIN", {"gtin": "6901234567893"}, "gtin"),
    ("unknown supplier", {"drop_shipped": "on", "supplier": "987654"}, "supplier"),
    ("drop-shipped without supplier", {"drop_shipped": "on"}, "supplier"),
]


@pytest.mark.parametrize(("case", "change", "field"), BAD_ADMIN, ids=[c[0] for c in BAD_ADMIN])
def test_admin_sku_form_refuses_bad_input(client, case, change, field):
    client.force_login(f.staff("operator"))
    product = f.product()
    resp = client.post("/admin/catalog/sku/add/", admin_sku_data(product, **change))
    assert resp.status_code == 200, resp.get("Location")
    errors = resp.context["adminform"].form.errors
    assert field in errors, errors
    assert SKU.objects.count() == 0


def test_admin_sku_form_saves_good_input(client):
    client.force_login(f.staff("operator"))
    product = f.product()
    supplier = f.supplier()
    resp = client.post("/admin/catalog/sku/add/", admin_sku_data(product, drop_shipped="on", supplier=supplier.pk))
    assert resp.status_code == 302
    assert SKU.objects.get().supplier == supplier


def test_admin_product_image_must_be_a_small_real_image(client, settings):
    client.force_login(f.staff("operator"))
    line = f.product_line()
    base = {"line": line.pk, "name": "澜溪积雪草修护霜", "subtitle": "", "description": "", "on_shelf": "on",
            "position": "0",
            "skus-TOTAL_FORMS": "0", "skus-INITIAL_FORMS": "0", "skus-MIN_NUM_FORMS": "0", "skus-MAX_NUM_FORMS": "1000",
            "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0", "images-MIN_NUM_FORMS": "0",
            "images-MAX_NUM_FORMS": "1000"}
    resp = client.post("/admin/catalog/product/add/", {**base, "image": SimpleUploadedFile("x.jpg", b"not an image")})
    assert resp.status_code == 200
    assert "image" in resp.context["adminform"].form.errors
    settings.MAX_IMAGE_UPLOAD_BYTES = 1024
    big = SimpleUploadedFile("big.png", png_bytes(size=(300, 300)) + b"\0" * 4096, "image/png")
    resp = client.post("/admin/catalog/product/add/", {**base, "image": big})
    assert resp.status_code == 200
    assert "image" in resp.context["adminform"].form.errors
    assert Product.objects.count() == 0
    settings.MAX_IMAGE_UPLOAD_BYTES = 5 * 1024 * 1024
    resp = client.post("/admin/catalog/product/add/",
                       {**base, "image": SimpleUploadedFile("ok.png", png_bytes(), "image/png")})
    assert resp.status_code == 302
    assert Product.objects.get().image


def test_admin_lists_render_with_prices_and_chinese_labels(client, django_assert_max_num_queries):
    client.force_login(f.staff("operator", name="运营小李"))
    f.sku(code="LX-L1")
    f.sku(code="LX-L2", currency="TWD", retail_price=Decimal("1280"), floor_price=Decimal("990"),
          ceiling_price=Decimal("1490"))
    with django_assert_max_num_queries(12):
        resp = client.get("/admin/catalog/sku/")
    html = resp.content.decode()
    assert resp.status_code == 200 and "¥128.00" in html and "NT$1,280" in html
    assert "零售价" in html and "运营小李" in html  # the admin greets people by name
    for url in ("/admin/", "/admin/catalog/product/", "/admin/catalog/product/add/", "/admin/catalog/supplier/"):
        assert client.get(url).status_code == 200, url
