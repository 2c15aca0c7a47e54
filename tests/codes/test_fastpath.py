"""The WSGI fast path for consumer scans (weishang/codes/fastpath.py): it answers exactly as
Django's full stack would (status, headers, cookies), and only when it may. The answers
themselves are tested by test_verify.py, which runs every test through both paths."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.client import ClientHandler

from weishang.codes.fastpath import FastPath, FastPathMixin
from weishang.codes.models import ScanEvent
from weishang.wsgi import Handler

from .conftest import code_of

pytestmark = pytest.mark.django_db


class CountingFastPath(FastPath):
    def __init__(self) -> None:
        super().__init__()
        self.answered = 0

    def answer(self, request, kind, code):
        self.answered += 1
        return super().answer(request, kind, code)


class ProductionHandler(ClientHandler):
    """The test client's handler driving production's WSGI application (weishang.wsgi.Handler,
    fast path included) and turning its WSGI answer back into a response for the test client.
    What the fast path does not take (POSTs and other URLs) goes the test client's usual way."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.app = Handler()
        self.app.fast_path = self.fast_path = CountingFastPath()

    def __call__(self, environ):
        if self.fast_path.match(environ) is None:
            return super().__call__(environ)
        answer: dict = {}
        # As the test client does: the test's transaction must not be closed under it.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = self.app(environ, lambda status, headers, exc_info=None: answer.update(status=status,
                                                                                            headers=headers))
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        code, reason = answer["status"].split(" ", 1)
        response = HttpResponse(body, status=int(code), reason=reason)
        del response.headers["Content-Type"]
        for name, value in answer["headers"]:
            if name == "Set-Cookie":
                response.cookies.load(value)
            else:
                assert name not in response.headers, f"{name} sent twice"
                response.headers[name] = value
        response.wsgi_request = WSGIRequest(environ)
        return response


def fast_client() -> Client:
    """A test client whose requests reach production's WSGI application (fast path included)."""
    client = Client()
    client.handler = ProductionHandler(enforce_csrf_checks=False)
    return client


def page(code):
    return f"/v/{code.lower()}"


def api(code):
    return f"/api/v1/codes/verify/{code.lower()}"


def forged(code):
    from .test_verify import forged_of

    return forged_of(code)


def _same_answer(django_response, fast_response):
    """Status, every header but the length (and the request id, new per request, but present on
    both), and the cookies with their attributes."""
    assert fast_response.status_code == django_response.status_code
    assert len(fast_response["X-Request-ID"]) == len(django_response["X-Request-ID"]) == 32
    skip = {"Content-Length", "X-Request-ID"}
    assert {k: v for k, v in fast_response.headers.items() if k not in skip} == \
        {k: v for k, v in django_response.headers.items() if k not in skip}
    def cookies(r):
        return {name: (morsel.value, {k: str(v) for k, v in morsel.items() if k != "expires"}, bool(morsel["expires"]))
                for name, morsel in r.cookies.items()}
    assert {name: c[1:] for name, c in cookies(fast_response).items()} == \
        {name: c[1:] for name, c in cookies(django_response).items()}
    assert fast_response["Content-Length"] == str(len(fast_response.content))


@pytest.mark.parametrize("kind", ["page", "api"])
@pytest.mark.parametrize("case", ["genuine", "forged", "malformed", "english", "hant_cookie", "https_hsts"])
def test_fast_path_answers_as_django_would(batch, settings, kind, case):
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 3600
    to = page if kind == "page" else api
    django_client, fast = Client(), fast_client()
    extra: dict = {}
    if case == "english":
        extra["HTTP_ACCEPT_LANGUAGE"] = "en"
    if case == "hant_cookie":
        django_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
        fast.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    if case == "https_hsts":
        extra["secure"] = True
    for n, client in enumerate((django_client, fast)):
        code = code_of(batch, batch.serial_start + n)  # each its own first query
        path = {"forged": lambda c: to(forged(c)), "malformed": lambda c: to("abc")}.get(case, to)(code)
        client.last = client.get(path, **extra)
    _same_answer(django_client.last, fast.last)
    assert fast.handler.fast_path.answered == 1
    headers = fast.last.headers
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] and "Cookie" in headers["Vary"] and "Accept-Language" in headers["Vary"]
    assert ("Strict-Transport-Security" in headers) == (case == "https_hsts")
    expected_language = {"english": "en", "hant_cookie": "zh-hant"}.get(case, "zh-hans")
    assert headers["Content-Language"] == expected_language
    if case == "genuine" and kind == "page":
        assert "wsv" in fast.last.cookies


@pytest.mark.parametrize("kind", ["page", "api"])
def test_rate_limited_answer_is_the_same(batch, settings, kind):
    settings.CODES_RATE_CLIENT = 1
    to = page if kind == "page" else api
    answers = []
    for n, client in enumerate((Client(), fast_client())):
        code = code_of(batch, batch.serial_start)
        assert client.get(to(code), REMOTE_ADDR=f"10.1.0.{n}").status_code == 200
        answers.append(client.get(to(code), REMOTE_ADDR=f"10.1.0.{n}"))
    _same_answer(*answers)
    assert answers[1].status_code == 429 and answers[1].content == answers[0].content


def test_only_anonymous_gets_of_the_two_urls_take_it(batch, factories, settings):
    client = fast_client()
    code = code_of(batch, batch.serial_start)
    counter = client.handler.fast_path
    assert client.get(page(code)).status_code == 200 and counter.answered == 1
    assert client.get(api(code)).status_code == 200 and counter.answered == 2
    assert client.get("/healthz").status_code == 200
    assert client.get("/v/").status_code == 200
    assert client.head(page(code)).status_code == 200  # HEAD: Django's path (and still recorded)
    assert client.get(page(code) + "/place").status_code == 200
    assert client.post(api(code) + "/place", {}, content_type="application/json").status_code in (400, 422)
    assert client.get(page(code), HTTP_HOST="evil.example").status_code == 400  # refused by Django
    settings.SECURE_SSL_REDIRECT = True
    redirected = fast_client()
    assert redirected.get(page(code)).status_code == 301 and redirected.handler.fast_path.answered == 0
    settings.SECURE_SSL_REDIRECT = False
    client.force_login(factories.user())  # a session cookie: Django's path, recorded as the user
    assert client.get(page(code)).status_code == 200
    assert counter.answered == 2
    assert ScanEvent.objects.filter(consumer__isnull=False).count() == 1


def test_production_wsgi_application_uses_it_and_signals_the_request(batch):
    """weishang.wsgi.application is Django's WSGIHandler with the fast path: the request
    signals that keep database connections fresh (close_old_connections) are sent."""
    import weishang.wsgi

    assert isinstance(weishang.wsgi.application, FastPathMixin)
    assert isinstance(weishang.wsgi.application, WSGIHandler)
    handler = weishang.wsgi.Handler()
    handler.fast_path = CountingFastPath()
    seen = []

    def started(**kw):
        seen.append("started")

    def finished(**kw):
        seen.append("finished")

    environ = RequestFactory().get(page(code_of(batch, batch.serial_start))).environ
    answer = {}

    def start_response(status, headers):
        answer.update(status=status, headers=dict(headers))

    # As Django's test client does: the test's transaction must not be closed under it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    request_started.connect(started)
    request_finished.connect(finished)
    try:
        response = handler(environ, start_response)
        assert isinstance(response, list)  # granian writes a list in one call
        assert seen == ["started", "finished"]  # the request is over once the body exists
        body = b"".join(response)
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert answer["status"] == "200 OK" and handler.fast_path.answered == 1
    assert answer["headers"]["X-Frame-Options"] == "DENY" and b"L2026-01" in body
    assert ScanEvent.objects.filter(serial=batch.serial_start).count() == 1


def test_remembered_headers_follow_language_scheme_and_kind(batch, settings):
    """The fast path works out a 200's headers once per content type, scheme and language:
    one process answering a mix of them still answers each as Django would, and each new
    visitor gets its own cookie."""
    settings.SECURE_HSTS_SECONDS = 3600
    fast = fast_client()
    serial = batch.serial_start
    visitors = set()
    for to in (page, api, page):
        for extra in ({}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"secure": True}, {"HTTP_ACCEPT_LANGUAGE": "zh-hant"}, {}):
            django_answer = Client().get(to(code_of(batch, serial)), **extra)
            fast_answer = fast_client_get(fast, to(code_of(batch, serial + 1)), extra)
            serial += 2
            _same_answer(django_answer, fast_answer)
            if to is page:
                visitors.add(fast_answer.cookies["wsv"].value)
    assert fast.handler.fast_path.answered == 15
    assert len(visitors) == 10  # a new visitor id each time (no cookie was sent back)


def fast_client_get(client, path, extra):
    client.cookies.clear()  # each request a new visitor
    return client.get(path, **extra)
