"""The consumer scan without Django's middleware stack, URL resolver and response objects.

`GET /v/<code>` and `GET /api/v1/codes/verify/<code>` answer every scan of every product.
Through the full stack a scan paid ~200 µs of Django request handling (ten middleware,
sessions, CSRF, messages, URL resolution) around ~250 µs of its own work. `FastPathMixin`
(mixed into the WSGI handler in weishang/wsgi.py) answers these two URLs for anonymous
visitors by calling the same code as the views (`views.verify_answer`, `api.verify_answer`)
directly, with only the middleware steps whose effects such a request can see:

- SecurityMiddleware (HTTPS redirect; HSTS, nosniff, Referrer-Policy, COOP),
- CommonMiddleware (allowed hosts, disallowed user agents, PREPEND_WWW),
- LocaleMiddleware (language from the cookie or Accept-Language; Vary, Content-Language),
- XFrameOptionsMiddleware (X-Frame-Options: DENY),
- core's SecurityHeadersMiddleware (Content-Security-Policy, Permissions-Policy),
- the session's "Vary: Cookie" (the page's navigation depends on the login cookie).

A genuine answer (200) is written straight to the WSGI server: its headers are the ones
those middleware put on the same answer (`verify.Answer.response()`), worked out once per
process for each content type, scheme and language and then reused (they depend on nothing
else); only the length and the visitor cookie change per request. Errors (400, 404, 429)
still go through the middleware objects and Django's response. Everything else falls
through to Django unchanged: other methods and paths, any request carrying a session cookie
(logged-in visitors see their own navigation and are recorded as themselves), hosts Django
would refuse, HTTPS redirects. The request signals (request_started / request_finished:
database connection age) are sent as Django's handler sends them (for a 200, the second one
before the body is handed to the server). A test compares every header and cookie with
Django's full stack.
"""

from __future__ import annotations

import re
import time
from functools import cached_property

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth.models import AnonymousUser
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import get_script_name
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import set_script_prefix
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.log import log_response

from weishang.core import logs
from weishang.core.middleware import SecurityHeadersMiddleware

from .verify import VISITOR_COOKIE, Answer

# The same characters as the URL converter `<str:code>` would accept, minus "/" and
# anything a printed code cannot contain; the views validate the code itself.
_CODE = r"([0-9A-Za-z-]{1,64})"
PAGE = re.compile(rf"/v/{_CODE}")
API = re.compile(rf"/api/v1/codes/verify/{_CODE}")
_PLACEHOLDER = "WSVISITOR"  # a legal cookie value: Django does not quote it, nor the real ids


def _unused(request):  # the middleware below are used only through their process_* hooks
    raise AssertionError("not called")


class FastPath:
    def __init__(self) -> None:
        self.security = SecurityMiddleware(_unused)
        self.common = CommonMiddleware(_unused)
        self.locale = LocaleMiddleware(_unused)
        self.xframe = XFrameOptionsMiddleware(_unused)
        self.headers = SecurityHeadersMiddleware(_unused)
        # Without i18n_patterns (weishang's URLs have none) LocaleMiddleware's steps reduce to
        # "language from cookie / Accept-Language" and "Vary + Content-Language"; its language-
        # from-path checks (two regex matches and an uncached failed lookup of "v" or "api" as a
        # language per request) cannot change the answer. With i18n_patterns, the middleware's own.
        self.i18n_patterns = is_language_prefix_patterns_used(settings.ROOT_URLCONF)[0]
        self._headers: dict[tuple, tuple[list, list, str]] = {}
        self._cookie: dict[bool, tuple[int, str]] = {}

    @cached_property
    def views(self):
        from weishang.core.api import api

        from . import api as codes_api
        from . import views

        return views.verify_answer, codes_api.verify_answer, api

    def match(self, environ: dict) -> tuple[str, str] | None:
        """A cheap first look, before any request object: the kind ("page" or "api") and
        code of a GET of one of the two URLs, else None."""
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        path = environ.get("PATH_INFO", "")
        m = PAGE.fullmatch(path)
        if m is not None:
            return "page", m.group(1)
        m = API.fullmatch(path)
        return ("api", m.group(1)) if m is not None else None

    def admit(self, request: HttpRequest) -> bool:
        """False when this request must take Django's full path: a session cookie, or a host,
        scheme or www redirect the middleware would answer."""
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return False
        try:
            if self.security.process_request(request) or self.common.process_request(request):
                return False  # a redirect (HTTPS, PREPEND_WWW): Django's own path
        except DisallowedHost:
            return False  # Django answers 400 and logs it
        return True

    def answer(self, request: HttpRequest, kind: str, code: str) -> Answer | HttpResponse:
        """A 200 as an Answer (for `direct`), anything else as the HttpResponse Django's stack
        would give."""
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
                answer = page(request, code)
                if answer.status == 200:
                    return answer
                response = answer.response(request)
            else:
                try:
                    return api_view(request, code)
                except Exception as exc:  # the API's own error shape (DomainError → JSON)
                    response = api.on_exception(request, exc)
        except Exception as exc:
            response = response_for_exception(request, exc)
        response = self.process_response(request, response)
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        return response

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """The middleware's process_response, in the order Django's stack applies them
        (innermost first)."""
        response = self.xframe.process_response(request, response)
        response = self.common.process_response(request, response)  # type: ignore[assignment]
        if self.i18n_patterns:
            response = self.locale.process_response(request, response)  # type: ignore[assignment]
            patch_vary_headers(response, ("Cookie",))  # SessionMiddleware: the user was looked at
        else:  # LocaleMiddleware's Vary and Content-Language, then SessionMiddleware's Vary: Cookie
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            response.headers.setdefault("Content-Language", translation.get_language())
        response = self.headers.process_response(request, response)
        return self.security.process_response(request, response)  # type: ignore[return-value]

    def direct(self, request: HttpRequest, answer: Answer) -> tuple[list[tuple[str, str]], bytes]:
        """The headers and body Django's stack would send with this 200 answer."""
        secure = request.is_secure()
        key = (answer.content_type, secure, translation.get_language())
        parts = self._headers.get(key)
        if parts is None:  # once per process and key: the middleware on an empty answer of the same kind
            probe = self.process_response(request, Answer(200, "", answer.content_type).response(request))
            items = list(probe.items())
            at = [name for name, _ in items].index("Content-Length")
            parts = self._headers[key] = (items[:at], items[at + 1:], probe.charset)
        body = answer.body.encode(parts[2])
        headers = [*parts[0], ("Content-Length", str(len(body))), *parts[1]]
        if answer.visitor:
            headers.append(("Set-Cookie", self.visitor_cookie(request, secure, answer.visitor)))
        return headers, body

    def visitor_cookie(self, request: HttpRequest, secure: bool, visitor: str) -> str:
        """Django's Set-Cookie for the visitor id (its "expires" moves with the clock: worked
        out again each second)."""
        now = int(time.time())
        cached = self._cookie.get(secure)
        if cached is None or cached[0] != now:
            probe = Answer(200, "", visitor=_PLACEHOLDER).response(request)
            cached = self._cookie[secure] = (now, probe.cookies[VISITOR_COOKIE].output(header=""))
        return cached[1].replace(_PLACEHOLDER, visitor, 1)


class FastPathMixin:
    """For Django's WSGIHandler (weishang.wsgi.Handler)."""

    fast_path: FastPath | None = None

    def __call__(self, environ, start_response):
        fast = self.fast_path
        if fast is None:
            fast = self.fast_path = FastPath()
        hit = fast.match(environ)
        if hit is None:
            return super().__call__(environ, start_response)  # type: ignore[misc]
        request = self.request_class(environ)  # type: ignore[attr-defined]
        if not fast.admit(request):
            return super().__call__(environ, start_response)  # type: ignore[misc]
        token, started = logs.begin_request(request)  # as core.logs.RequestIdMiddleware
        try:
            return self._fast(fast, hit, request, environ, start_response, started)
        finally:
            logs.current_request_id.reset(token)

    def _fast(self, fast, hit, request, environ, start_response, started):
        # What Django's WSGIHandler.__call__ does around get_response
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=self.__class__, environ=environ)
        answer = fast.answer(request, *hit)
        if isinstance(answer, Answer):
            headers, body = fast.direct(request, answer)
            headers.append((logs.REQUEST_ID_HEADER, request.request_id))
            start_response("200 OK", headers)
            logs.end_request(request, 200, started)
            # The request is over once its body exists: Django's request_finished (database
            # connection age) is sent now, not from a close() after the server wrote it, so the
            # answer can be a list, which granian writes in one call (any other iterable goes
            # through its chunk-by-chunk protocol).
            request.close()
            signals.request_finished.send(sender=self.__class__)
            return [body]
        answer._handler_class = self.__class__  # type: ignore[attr-defined]
        answer._resource_closers.append(request.close)  # type: ignore[attr-defined]
        answer[logs.REQUEST_ID_HEADER] = request.request_id
        logs.end_request(request, answer.status_code, started)
        status = f"{answer.status_code} {answer.reason_phrase}"
        start_response(status, [*answer.items(), *(("Set-Cookie", c.output(header="")) for c in answer.cookies.values())])
        return answer
