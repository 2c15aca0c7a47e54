"""The consumer scan without Django's middleware stack and URL resolver.

`GET /v/<code>` and `GET /api/v1/codes/verify/<code>` answer every scan of every product.
Through the full stack a scan paid ~200 µs of Django request handling (ten middleware,
sessions, CSRF, messages, URL resolution) around ~250 µs of its own work. `FastPathMixin`
(mixed into the WSGI handler in weishang/wsgi.py) answers these two URLs for anonymous
visitors by calling the same views (`views.verify_page`, `api.verify`) directly, with
only the middleware steps whose effects such a request can see:

- SecurityMiddleware (HTTPS redirect; HSTS, nosniff, Referrer-Policy, COOP),
- CommonMiddleware (allowed hosts, disallowed user agents, PREPEND_WWW),
- LocaleMiddleware (language from the cookie or Accept-Language; Vary, Content-Language),
- XFrameOptionsMiddleware (X-Frame-Options: DENY),
- the session's "Vary: Cookie" (the page's navigation depends on the login cookie).

Everything else falls through to Django unchanged: other methods and paths, any request
carrying a session cookie (logged-in visitors see their own navigation and are recorded
as themselves), hosts Django would refuse. The handler's `__call__` (request_started /
request_finished signals, hence database connection age, script prefix, closing) is
Django's own. The rules of verification live once, in verify.py, services and skeleton.
"""

from __future__ import annotations

import re
from functools import cached_property

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.log import log_response

# The same characters as the URL converter `<str:code>` would accept, minus "/" and
# anything a printed code cannot contain; the views validate the code itself.
_CODE = r"([0-9A-Za-z-]{1,64})"
PAGE = re.compile(rf"/v/{_CODE}")
API = re.compile(rf"/api/v1/codes/verify/{_CODE}")


def _unused(request):  # the middleware below are used only through their process_* hooks
    raise AssertionError("not called")


class FastPath:
    def __init__(self) -> None:
        self.security = SecurityMiddleware(_unused)
        self.common = CommonMiddleware(_unused)
        self.locale = LocaleMiddleware(_unused)
        self.xframe = XFrameOptionsMiddleware(_unused)
        # Without i18n_patterns (weishang's URLs have none) LocaleMiddleware's steps reduce to
        # "language from cookie / Accept-Language" and "Vary + Content-Language"; its language-
        # from-path checks (two regex matches and an uncached failed lookup of "v" or "api" as a
        # language per request) cannot change the answer. With i18n_patterns, the middleware's own.
        self.i18n_patterns = is_language_prefix_patterns_used(settings.ROOT_URLCONF)[0]

    @cached_property
    def views(self):
        from weishang.core.api import api

        from . import api as codes_api
        from . import views

        return views.verify_page, codes_api.verify, api

    def match(self, request: HttpRequest):
        """The view and code, or None when this request must take Django's full path."""
        if request.method != "GET" or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        path = request.path_info
        m = PAGE.fullmatch(path)
        if m is not None:
            return "page", m.group(1)
        m = API.fullmatch(path)
        if m is not None:
            return "api", m.group(1)
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse | None:
        hit = self.match(request)
        if hit is None:
            return None
        try:
            if self.security.process_request(request) or self.common.process_request(request):
                return None  # a redirect (HTTPS, PREPEND_WWW): Django's own path
        except DisallowedHost:
            return None  # Django answers 400 and logs it
        kind, code = hit
        request.user = AnonymousUser()
        if self.i18n_patterns:
            self.locale.process_request(request)
        else:
            translation.activate(translation.get_language_from_request(request, check_path=False))
            request.LANGUAGE_CODE = translation.get_language()
        timezone.deactivate()  # UserTimezoneMiddleware, anonymous visitor
        page, api_view, api = self.views
        try:
            if kind == "page":
                response = page(request, code)
            else:
                try:
                    response = api_view(request, code)
                except Exception as exc:  # the API's own error shape (DomainError → JSON)
                    response = api.on_exception(request, exc)
        except Exception as exc:
            response = response_for_exception(request, exc)
        # process_response in the order Django's stack applies them (innermost first)
        response = self.xframe.process_response(request, response)
        response = self.common.process_response(request, response)
        if self.i18n_patterns:
            response = self.locale.process_response(request, response)
            patch_vary_headers(response, ("Cookie",))  # SessionMiddleware: the user was looked at
        else:  # LocaleMiddleware's Vary and Content-Language, then SessionMiddleware's Vary: Cookie
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            response.headers.setdefault("Content-Language", translation.get_language())
        response = self.security.process_response(request, response)  # type: ignore[arg-type]
        response._resource_closers.append(request.close)  # type: ignore[attr-defined]
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        return response


class FastPathMixin:
    """For a Django handler class (WSGIHandler, and the test client's ClientHandler)."""

    fast_path: FastPath | None = None

    def get_response(self, request):
        if self.fast_path is None:
            self.fast_path = FastPath()
        response = self.fast_path(request)
        if response is None:
            return super().get_response(request)
        return response
