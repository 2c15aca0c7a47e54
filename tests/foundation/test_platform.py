"""Settings, SQLite pragmas, the error shape in every language, demo data."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tests.foundation.conftest import assert_error_shape

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = connection.vendor == "sqlite"


# --- SQLite ---------------------------------------------------------------------------------
@pytest.mark.skipif(not EMBEDDED, reason="SQLite pragmas only apply to the embedded default")
@pytest.mark.django_db
def test_sqlite_pragmas_are_applied_to_every_connection(tmp_path):
    from django.db.backends.sqlite3.base import DatabaseWrapper

    params = dict(connection.settings_dict)
    params["NAME"] = str(tmp_path / "pragmas.sqlite3")  # a file: in-memory test DBs cannot use WAL
    wrapper = DatabaseWrapper(params, alias="pragma_check")
    try:
        with wrapper.cursor() as cur:
            assert cur.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cur.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
            assert cur.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
            assert cur.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert cur.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10000  # SQLite's default: 1000
        # IMMEDIATE: atomic() begins with BEGIN IMMEDIATE and so holds the write lock from
        # the start; a second writer queues on the busy timeout (here 0: fails at once)
        # instead of failing half-way through its transaction.
        assert wrapper.transaction_mode == "IMMEDIATE"
        wrapper._start_transaction_under_autocommit()
        other = sqlite3.connect(params["NAME"], timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        with wrapper.cursor() as cur:
            cur.execute("ROLLBACK")
    finally:
        wrapper.close()


def test_database_settings_match_the_environment():
    db = settings.DATABASES["default"]
    if os.environ.get("DATABASE_URL"):
        assert db["ENGINE"] == "django.db.backends.postgresql"
    else:
        opts = db["OPTIONS"]
        assert opts["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in opts["init_command"] and "synchronous=NORMAL" in opts["init_command"]


# --- settings defaults ------------------------------------------------------------------------
def _settings_in_subprocess(env: dict[str, str], expr: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "HTTPS", "DATABASE_URL", "SECRET_KEY",
                                                              "ALLOWED_HOSTS", "REDIS_URL")}
    base.update(env)
    code = f"import weishang.settings as s; print({expr})"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_safe_defaults():
    assert _settings_in_subprocess({}, "s.DEBUG, s.HTTPS, len(s.SECRET_KEY) >= 40") == "False False True"
    assert _settings_in_subprocess({"DEBUG": "1"}, "s.DEBUG") == "True"
    assert _settings_in_subprocess({"DEBUG": "yes-please"}, "s.DEBUG") == "False"
    out = _settings_in_subprocess({"HTTPS": "1"}, "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT")
    assert out == "True True True"
    # a production database turns HTTPS on unless DEBUG
    out = _settings_in_subprocess({"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "x" * 50,
                                   "ALLOWED_HOSTS": "shop.example.com"},
                                  "s.HTTPS, s.SESSION_COOKIE_SECURE, s.ALLOWED_HOSTS")
    assert out == "True True ['shop.example.com']"
    out = _settings_in_subprocess({"REDIS_URL": "redis://127.0.0.1:6379/0"},
                                  "s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'].rsplit('.', 1)[1]")
    assert out == "False RedisCache"
    assert _settings_in_subprocess({}, "s.CELERY_TASK_ALWAYS_EAGER") == "True"


def test_secret_is_generated_once_per_checkout():
    first = _settings_in_subprocess({}, "s.SECRET_KEY")
    assert first == _settings_in_subprocess({}, "s.SECRET_KEY")
    assert first not in ("", "django-insecure") and len(first) >= 40


# --- error shape in the request's language ----------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "not_found", "invalid_phone"), [
    ("zh-hans", "商品不存在。", "请输入有效的中国大陆（+86）或台湾（+886）手机号码。"),
    ("zh-hant", "商品不存在。", "請輸入有效的中國大陸（+86）或台灣（+886）手機號碼。"),
    ("en", "Product not found.", "Enter a valid mobile number from mainland China (+86) or Taiwan (+886)."),
])
def test_error_shape_in_each_language(api, lang, not_found, invalid_phone):
    resp = api.get("/catalog/products/424242", lang=lang)
    assert resp.status_code == 404
    assert resp.json() == {"code": "not_found", "message": not_found, "fields": {}}
    resp = api.post("/auth/login", {"phone": "12345", "password": "x"}, lang=lang)
    assert resp.status_code == 400
    assert resp.json() == {"code": "invalid_phone", "message": invalid_phone, "fields": {"phone": [invalid_phone]}}
    resp = api.post("/auth/login", {"password": "x"}, lang=lang)
    assert resp.status_code == 422
    body = resp.json()
    assert_error_shape(body)
    expected = {"zh-hans": "此项为必填项。", "zh-hant": "此欄位為必填。", "en": "This field is required."}[lang]
    assert body["fields"] == {"phone": [expected]}


@pytest.mark.django_db
def test_price_errors_are_translated(staff_api):
    from tests import factories as f

    product = f.product()
    data = {"name": "50ml", "code": "X1", "retail_price": "128.00", "floor_price": "130.00", "ceiling_price": "158.00"}
    resp = staff_api.post(f"/catalog/products/{product.pk}/skus", data, lang="zh-hans")
    assert resp.json()["fields"]["floor_price"] == ["最低价不能高于零售价。"]
    resp = staff_api.post(f"/catalog/products/{product.pk}/skus", data, lang="zh-hant")
    assert resp.json()["fields"]["floor_price"] == ["最低價不能高於零售價。"]


@pytest.mark.django_db
def test_unexpected_errors_never_leak_a_stack_trace(api, monkeypatch):
    from weishang.catalog import selectors

    def boom(*a, **kw):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "shelf_product", boom)
    resp = api.get("/catalog/products/1", lang="en")
    assert resp.status_code == 500
    body = resp.json()
    assert_error_shape(body)
    assert body["code"] == "server_error" and "secret" not in resp.content.decode()


def test_openapi_and_docs_are_served(client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert "/api/v1/catalog/products" in paths and "/api/v1/auth/login" in paths
    assert client.get("/api/docs").status_code == 200


def test_api_docs_load_their_assets_locally(client):
    """Swagger UI comes from our static files, never a CDN (offline / behind the GFW)."""
    import re

    from django.contrib.staticfiles import finders

    html = client.get("/api/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), url


# --- demo data --------------------------------------------------------------------------------
def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()
            if m._meta.app_label not in ("sessions", "admin", "contenttypes")}


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_prints_the_logins():
    from weishang.catalog.gtin import is_valid_gtin
    from weishang.catalog.models import SKU, Product, ProductLine

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    first = out.getvalue()
    counts = _counts()
    assert ProductLine.objects.count() == 3 and SKU.objects.count() >= 8 and Product.objects.count() >= 6
    assert all(is_valid_gtin(s.gtin) and s.gtin.startswith("690") for s in SKU.objects.all())
    drop = SKU.objects.filter(drop_shipped=True)
    assert drop.count() >= 1 and all(s.supplier and s.supplier.users.exists() for s in drop)
    assert all(p.image for p in Product.objects.all())
    for phone in ("+8613800000001", "+8613900000001", "+8613700000001"):
        assert phone in first
    assert "weishang-demo-2026" in first and "总部管理员" in first

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert _counts() == counts  # nothing new the second time
    second = out.getvalue()
    assert [line for line in second.splitlines() if "+86" in line or "+886" in line] == \
        [line for line in first.splitlines() if "+86" in line or "+886" in line]

    from weishang.accounts.models import User

    admin = User.objects.get(phone="+8613800000001")
    assert admin.is_superuser and admin.is_staff and admin.groups.filter(name="admin").exists()
    for role, phone in (("operator", "+8613800000002"), ("finance", "+8613800000003"),
                        ("warehouse", "+8613800000004")):
        assert User.objects.get(phone=phone).groups.filter(name=role).exists()


def test_the_suite_runs_with_its_test_settings():
    # pins weishang.core.testing_settings: plain http even with DATABASE_URL, fast hashing
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert settings.SECURE_SSL_REDIRECT is False and settings.SESSION_COOKIE_SECURE is False
    if connection.vendor == "sqlite":
        assert connection.settings_dict["TEST"]["NAME"]  # a file, so threads share one database
