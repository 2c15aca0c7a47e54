"""One error shape for the whole product.

Services raise DomainError (or its subclasses); the API turns it into
{"code": ..., "message": ..., "fields": {...}} with a 4xx status, and views show the
message on the form. Messages are lazy translations, so they come out in the
request's language.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: Any = None, *, code: str | None = None, fields: dict[str, list[Any]] | None = None,
                 status: int | None = None) -> None:
        self.message = message if message is not None else _("The request is not valid.")
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {name: [str(m) for m in msgs] for name, msgs in self.fields.items()},
        }


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, message: Any = None, **kw: Any) -> None:
        super().__init__(message if message is not None else _("Not found."), **kw)


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"

    def __init__(self, message: Any = None, **kw: Any) -> None:
        super().__init__(message if message is not None else _("You do not have permission to do this."), **kw)


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


def from_validation_error(exc: ValidationError, code: str = "validation_error") -> DomainError:
    """Turn Django's ValidationError (model.full_clean, forms) into the one shape."""
    if hasattr(exc, "error_dict"):
        fields = {name: [m for e in errs for m in e.messages] for name, errs in exc.error_dict.items()}
        non_field = fields.pop("__all__", [])
        message = non_field[0] if non_field else _("Please correct the errors below.")
        if non_field:
            fields["__all__"] = non_field
        return DomainError(message, code=code, fields=fields)
    return DomainError(exc.messages[0] if exc.messages else None, code=code)
