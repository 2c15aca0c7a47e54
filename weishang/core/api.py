"""The JSON API: one NinjaAPI, mounted at /api/, with every router under /v1/.

OpenAPI at /api/openapi.json, docs at /api/docs. Every error has one shape:
{"code": str, "message": str (request language), "fields": {name: [messages]}}.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Annotated, Any

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Path, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser
from pydantic import Field as PydanticField
from pydantic import StrictInt

from weishang.core.errors import DomainError, from_validation_error

log = logging.getLogger(__name__)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


# Database ids fit a signed 64-bit integer; bounding them in the schema turns a huge id
# into a 422 instead of an OverflowError deep in the database driver.
ID_MAX = 2**63 - 1
PathId = Annotated[int, Path(ge=1, le=ID_MAX)]
# Numbers in a JSON body are StrictInt: pydantic would otherwise take `true` as 1 and "5" as 5.
# (Path, query and form values are text, and JSON object keys too: those stay plain int.)
BodyId = Annotated[StrictInt, PydanticField(ge=1, le=ID_MAX)]
# Text that PostgreSQL can store (no NUL characters).
SAFE_TEXT = r"^[^\x00]*$"
# What no text column can store: NUL (PostgreSQL refuses it) and lone UTF-16 surrogates
# (valid in JSON's \ud800 escapes, but not encodable as UTF-8).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnstorableText(DomainError):
    status = 422
    code = "validation_error"


def _unstorable_fields(value: Any, where: str, found: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        if UNSTORABLE.search(value):
            found.setdefault(where or "__all__", []).append(
                _("This value has characters or a format that is not allowed."))
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            _unstorable_fields(key, name, found)
            _unstorable_fields(item, name, found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _unstorable_fields(item, f"{where}.{i}" if where else str(i), found)


def check_storable(data: Any) -> Any:
    """Refuse, for the whole request, text no database column can take: every free-text
    field of every schema is covered here, not by a pattern on each field."""
    found: dict[str, list[str]] = {}
    _unstorable_fields(data, "", found)
    if found:
        raise UnstorableText(_("Some fields are not valid."), fields=found)
    return data


class StorableTextParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        return check_storable(json.loads(request.body))

    def parse_querydict(self, data, list_fields, request):
        parsed = super().parse_querydict(data, list_fields, request)
        if data is not request.FILES:  # uploaded files are not text
            check_storable(parsed)
        return parsed


class Pagination(LimitOffsetPagination):
    """limit/offset with bounds: at most 100 per page, an offset a database can take."""

    class Input(Schema):
        limit: int = PydanticField(20, ge=1, le=100)
        offset: int = PydanticField(0, ge=0, le=10**9)

    def __init__(self, **kwargs):
        super().__init__(max_limit=100, **kwargs)


api = NinjaAPI(
    title="Weishang API",
    version="1",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    description="Weishang channel management and social commerce. Errors: {code, message, fields}.",
    parser=StorableTextParser(),
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


def _pydantic_message(error: dict) -> str:
    """A message in the request's language for the common schema errors (pydantic's own
    messages are English only)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type", "finite_number"):
        return _("Enter a number.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Enter true or false.")
    if kind in ("string_type",):
        return _("Enter text.")
    if kind == "string_too_short":
        return _("Enter at least %(n)s characters.") % {"n": ctx.get("min_length", 1)}
    if kind == "string_too_long":
        return _("Enter at most %(n)s characters.") % {"n": ctx.get("max_length", "")}
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter a value of at least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt", ""))}
    if kind in ("less_than_equal", "less_than"):
        return _("Enter a value of at most %(n)s.") % {"n": ctx.get("le", ctx.get("lt", ""))}
    if kind == "string_pattern_mismatch":
        return _("This value has characters or a format that is not allowed.")
    if kind in ("json_invalid", "model_type", "model_attributes_type", "dict_type", "list_type"):
        return _("The request body is not valid JSON of the expected shape.")
    return str(error.get("msg") or _("Invalid value."))


@api.exception_handler(ValidationError)
def _schema_validation(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", ())]
        if loc and loc[0] == "body" and len(loc) > 2:
            loc = loc[2:]  # body, the view's argument name (data, payload…): the client sees neither
        elif loc and loc[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
            loc = loc[1:]  # where it came from; the client knows
        name = ".".join(loc) or "__all__"
        fields.setdefault(name, []).append(_pydantic_message(error))
    return error_response(request, 422, "validation_error", _("Some fields are not valid."), fields)


@api.exception_handler(IntegrityError)
def _integrity(request, exc: IntegrityError):
    # Services check uniqueness first; this is the race where two requests both passed.
    log.warning("Integrity error on %s: %s", request.path, exc)
    return error_response(request, 409, "conflict", _("This conflicts with a record saved at the same time. "
                                                       "Reload and try again."))


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return error_response(request, 401, "not_authenticated", _("Please log in first."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    cause = exc.__cause__
    if isinstance(cause, DomainError):  # raised by the parser; ninja wraps it as "Cannot parse request body"
        return _domain_error(request, cause)
    if exc.status_code == 400 and isinstance(cause, ValueError):  # not JSON, or not UTF-8
        return error_response(request, 400, "bad_request", _("The request body is not valid JSON of the expected shape."))
    code = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 429: "rate_limited"}.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    return error_response(request, 413, "too_large", too_large_message())


@api.exception_handler(MultiPartParserError)
@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def _unreadable(request, exc):
    # A multipart body without its boundary, too many fields, a malformed header…
    return error_response(request, 400, "bad_request", _("The request could not be read. Check its Content-Type "
                                                         "and body."))


@api.exception_handler(OverflowError)
def _out_of_range(request, exc):
    # SQLite's driver cannot bind an integer over 64 bits (a huge id in a form or query
    # field that no schema bounded); nothing was written, the query never ran.
    return error_response(request, 400, "bad_request", out_of_range_message())


def out_of_range_message() -> str:
    return _("A number in the request is out of range.")


def too_large_message() -> str:
    from django.conf import settings

    return _("The request is larger than %(mb)s MB. Send less data or a smaller file.") % {
        "mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)}


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
