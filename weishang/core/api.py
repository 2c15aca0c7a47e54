"""The JSON API: one NinjaAPI, mounted at /api/, with every router under /v1/.

OpenAPI at /api/openapi.json, docs at /api/docs. Every error has one shape:
{"code": str, "message": str (request language), "fields": {name: [messages]}}.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from weishang.core.errors import DomainError, from_validation_error

log = logging.getLogger(__name__)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


api = NinjaAPI(
    title="Weishang API",
    version="1",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    description="Weishang channel management and social commerce. Errors: {code, message, fields}.",
)


def error_response(request: HttpRequest, status: int, code: str, message: str,
                   fields: dict[str, list[str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "fields": fields or {}}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(DjangoValidationError)
def _django_validation(request, exc: DjangoValidationError):
    err = from_validation_error(exc)
    return api.create_response(request, err.as_dict(), status=400)


@api.exception_handler(ValidationError)
def _schema_validation(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form", "payload")]
        name = ".".join(loc) or "__all__"
        fields.setdefault(name, []).append(str(error.get("msg", _("Invalid value."))))
    return error_response(request, 422, "validation_error", _("Some fields are not valid."), fields)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return error_response(request, 401, "not_authenticated", _("Please log in first."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 429: "rate_limited"}.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(DjangoPermissionDenied)
def _forbidden(request, exc):
    return error_response(request, 403, "forbidden", _("You do not have permission to do this."))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("Unhandled API error")
    return error_response(request, 500, "server_error", _("Something went wrong on our side. Please try again."))
