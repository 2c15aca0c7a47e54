"""Bearer tokens write without CSRF; session cookies still need it (issue 11.1).

Every write operation in the OpenAPI document is called once, so a new endpoint cannot be
forgotten."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests import factories as f
from weishang.core.api import api

pytestmark = pytest.mark.django_db

WRITES = ("post", "put", "patch", "delete")


def _write_operations() -> list[tuple[str, str]]:
    import weishang.urls  # noqa: F401  (mounts every app's router)

    schema = api.get_openapi_schema(path_prefix="/api/")
    ops = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in WRITES and op.get("security"):
                ops.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(ops)


def test_there_are_authenticated_writes_to_check():
    assert len(_write_operations()) > 20


@pytest.mark.parametrize(("method", "path"), _write_operations())
def test_bearer_token_write_needs_no_csrf(method, path):
    from weishang.accounts.services import issue_token

    boss = f.user(is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    r = getattr(client, method)(path, "{}", content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {issue_token(boss, 'scanner')}", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code not in (401, 500), (r.status_code, r.content[:300])
    assert b"CSRF" not in r.content, r.content[:300]


def test_wrong_bearer_token_is_401_not_a_csrf_error():
    r = Client(enforce_csrf_checks=True).post("/api/v1/auth/logout", HTTP_AUTHORIZATION="Bearer nope")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_session_cookie_write_still_needs_csrf():
    user = f.user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    r = client.post("/api/v1/auth/logout")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    # With the page's CSRF token (cookie + header, as htmx sends it) it is accepted.
    from django.middleware.csrf import _get_new_csrf_string

    token_value = _get_new_csrf_string()
    client.cookies["csrftoken"] = token_value
    r = client.post("/api/v1/auth/logout", HTTP_X_CSRFTOKEN=token_value)
    assert r.status_code == 204


def test_token_logout_revokes_the_token():
    from weishang.accounts.services import issue_token

    token = issue_token(f.user(), "phone")
    client = Client(enforce_csrf_checks=True)
    assert client.post("/api/v1/auth/logout", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 204
    assert client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
