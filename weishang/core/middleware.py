"""Middleware of our own: security headers Django's own middleware does not set (Django 5.2
has no CSP support); request input every view can rely on, and the API's error shape for
answers no API view wrote (an unknown /api/ route, a method the route does not take)."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Content-Security-Policy and Permissions-Policy on every answer, unless a view set its
    own. The policies are in settings (CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY)."""

    def process_response(self, request, response):
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(status: int, code: str, message: str) -> HttpResponse:
    """The API's error shape, for answers given outside the NinjaAPI (core.api uses the same
    keys through ErrorOut)."""
    body = json.dumps({"code": code, "message": message, "fields": {}}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def _without_nul(data: QueryDict) -> QueryDict:
    clean = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        clean.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
    clean._mutable = False
    return clean


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


class InputMiddleware:
    """NUL characters are never text a person typed, and PostgreSQL refuses to store them:
    a page view reading request.POST directly (not through a Django form, whose CharField
    already refuses NUL) would answer 500. So pages get their GET and form values with NUL
    removed; the API refuses them with a 422 instead (core.api.StorableTextParser), since a
    client should learn its input was wrong. A NUL in the path is a 400 for both."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = is_api(request)
        if "\x00" in request.path_info:
            message = _("The address contains characters that are not allowed.")
            return api_error(400, "bad_request", message) if api else HttpResponse(message, status=400)
        if not api:
            if _has_nul(request.GET):
                request.GET = _without_nul(request.GET)  # type: ignore[assignment]
            if request.method == "POST" and request.content_type in FORM_TYPES and _has_nul(request.POST):
                request.POST = _without_nul(request.POST)  # type: ignore[assignment]
        response = self.get_response(request)
        if api and response.status_code in (404, 405) and not response.get("Content-Type", "").startswith(
                "application/json"):
            allow = response.get("Allow")
            if response.status_code == 404:
                response = api_error(404, "not_found", _("Not found."))
            else:
                response = api_error(405, "method_not_allowed", _("This method is not allowed here."))
                if allow:
                    response["Allow"] = allow
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, OverflowError):
            # A page's view passed a huge number from a form straight to a query; SQLite's
            # driver cannot bind it (PostgreSQL finds no row). Nothing was written.
            from .api import out_of_range_message

            return HttpResponse(out_of_range_message(), status=400)
        return None
