"""Bad input answers a clear 4xx in the error shape, never a 500 (issue 17.5)."""

from __future__ import annotations

import json

import pytest

from tests import factories as f
from tests.foundation.conftest import assert_error_shape

pytestmark = pytest.mark.django_db


def _post(client, path, body: str, **extra):
    return client.post(path, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **extra)


@pytest.fixture
def token(db):
    from weishang.accounts.services import issue_token

    return issue_token(f.user(is_staff=True, is_superuser=True), "test")


@pytest.mark.parametrize("text", ["a\u0000b", "\ud800", "x\udfff"])
def test_unstorable_text_in_json_is_422_naming_the_field(client, token, text):
    """NUL (PostgreSQL refuses it) or a lone surrogate (not UTF-8), in any free-text field
    of any schema, nested fields included, without a pattern on each field."""
    body = json.dumps({"lines": [{"sku_id": 1, "quantity": 1}], "note": "ok",
                       "address": {"name": "张三", "phone": "13800000000", "province_code": "11", "city_code": "1101",
                                   "district_code": "110101", "detail": text}})
    r = _post(client, "/api/v1/orders/pickups", body, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY="k-1")
    assert r.status_code == 422, r.content
    assert_error_shape(r.json())
    assert list(r.json()["fields"]) == ["address.detail"]


def test_nul_in_form_field_is_422(client, token):
    r = client.post("/api/v1/payments/orders/X1/pay", {"method": "offline\u0000", "reference": "r"},
                    HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422 and "method" in r.json()["fields"], r.content


def test_nul_in_path_is_400(client):
    for path in ("/api/v1/orders/A%00B", "/orders/A%00B/"):
        r = client.get(path)
        assert r.status_code == 400, path
    assert_error_shape(client.get("/api/v1/orders/A%00B").json())


def test_multipart_without_boundary_is_4xx(client, token):
    """The form endpoint cannot read its fields: 400. A JSON endpoint reads the body as JSON
    whatever the header says; read through a session cookie, CSRF parses the form: 400."""
    r = client.post("/api/v1/payments/orders/X1/pay", b"x", content_type="multipart/form-data",
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 400, r.content
    assert_error_shape(r.json())
    client.force_login(f.user())
    r = client.post("/api/v1/orders/pickups", b"{}", content_type="multipart/form-data")
    assert 400 <= r.status_code < 500, r.content
    assert_error_shape(r.json())


def test_body_over_the_limit_is_413(client, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    r = _post(client, "/api/v1/orders/pickups", json.dumps({"note": "x" * 2000}), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 413, r.content
    assert_error_shape(r.json())
    assert r.json()["code"] == "too_large"
    page = client.post("/accounts/login/", {"phone": "1", "password": "x" * 2000}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 413 and b"Too much data" in page.content


def test_invalid_json_is_400_in_the_shape(client, token):
    r = _post(client, "/api/v1/orders/pickups", "{not json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 400
    assert_error_shape(r.json())
    assert "Cannot parse" not in r.json()["message"]


def test_unknown_api_route_and_wrong_method_answer_the_shape(client):
    r = client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert_error_shape(r.json())
    r = client.delete("/api/v1/auth/me", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 405 and r["Content-Type"].startswith("application/json")
    assert_error_shape(r.json())
    assert "GET" in r["Allow"]


def test_page_form_with_nul_is_not_a_500(client):
    """A page view that reads request.POST itself (no Django form) gets the text without NUL."""
    hq = f.user(is_staff=True, is_superuser=True)
    client.force_login(hq)
    r = client.post("/earnings/hq/withdrawals/", {"action": "batch", "currency": "CNY\u0000"})
    assert r.status_code == 302


def test_huge_id_in_a_page_form_is_not_a_500(client):
    hq = f.user(is_staff=True, is_superuser=True)
    client.force_login(hq)
    r = client.post("/earnings/hq/withdrawals/", {"action": "paid", "batch": str(10**30)})
    assert r.status_code in (302, 400)
