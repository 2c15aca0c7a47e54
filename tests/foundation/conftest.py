from __future__ import annotations

import json

import pytest
from django.test import Client

from tests import factories as f


class Api:
    """A small JSON client for /api/v1/ with optional bearer token and language."""

    def __init__(self, client: Client, token: str | None = None, lang: str = "zh-hans"):
        self.client, self.token, self.lang = client, token, lang

    def _headers(self, lang: str | None) -> dict:
        headers = {"HTTP_ACCEPT_LANGUAGE": lang or self.lang}
        if self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return headers

    def get(self, path, lang=None, **params):
        return self.client.get("/api/v1" + path, params, **self._headers(lang))

    def post(self, path, data=None, lang=None):
        return self.client.post("/api/v1" + path, json.dumps(data or {}), content_type="application/json",
                                **self._headers(lang))

    def patch(self, path, data=None, lang=None):
        return self.client.patch("/api/v1" + path, json.dumps(data or {}), content_type="application/json",
                                 **self._headers(lang))

    def upload(self, path, files, lang=None, **data):
        return self.client.post("/api/v1" + path, {**files, **data}, **self._headers(lang))


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def staff_api(db, client):
    from weishang.accounts.services import issue_token

    user = f.staff("operator")
    return Api(client, issue_token(user, "test"))


@pytest.fixture
def consumer_api(db, client):
    from weishang.accounts.services import issue_token

    return Api(client, issue_token(f.user(), "test"))


def assert_error_shape(body: dict) -> None:
    assert set(body) == {"code", "message", "fields"}, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    for name, messages in body["fields"].items():
        assert isinstance(name, str)
        assert messages and all(isinstance(m, str) and m for m in messages)
