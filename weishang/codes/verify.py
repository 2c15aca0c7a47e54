"""Consumer verification shared by the page (/v/<code>) and the API.

Order of work: client rate limit (cache only) → decode (no I/O: forged, malformed and
unknown-version codes never reach the database) → batch lookup → per-code rate limit →
the scan is written (state, event, alert) → only then an answer. "Not genuine" answers
for forged and for unknown codes are the same object and are padded to the same minimum
time.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from weishang.core import ratelimit, timing
from weishang.core.errors import DomainError, RateLimited

from . import conf, location, selectors, services
from .models import Verdict

# codec.normalize's reasons: not the shape of a code, or a typing error the check character
# caught. Answered as such (400); every other rejection looks like an unknown code (404).
MISTYPED = frozenset({"malformed", "check"})
VISITOR_COOKIE = "wsv"
VISITOR_COOKIE_AGE = 3 * 365 * 86400
# What never_cache sets, without its header parsing (this is on every scan).
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


class BadFormat(DomainError):
    status = 400
    code = "code_malformed"

    def __init__(self) -> None:
        super().__init__(_("This does not look like one of our codes. Check it for typing errors and try again."))


def visitor_id(request: HttpRequest) -> tuple[str, bool]:
    """The anonymous visitor id from the cookie, or a new one (True: set the cookie)."""
    value = request.COOKIES.get(VISITOR_COOKIE, "")
    if 8 <= len(value) <= 32 and value.replace("-", "").replace("_", "").isalnum():
        return value, False
    return secrets.token_urlsafe(12), True


@dataclass
class Outcome:
    result: services.ScanResult
    visitor: str
    new_visitor: bool


@dataclass(slots=True)
class Answer:
    """A verification answer (page or API) before it becomes a response: an HttpResponse
    through `response()`, or, for a 200, the WSGI fast path's own (codes.fastpath), which
    takes its headers from the same `response()` and middleware."""

    status: int
    body: str
    content_type: str | None = None  # None: text/html (DEFAULT_CHARSET)
    visitor: str | None = None  # a new visitor id, to set as the cookie

    def response(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status, content_type=self.content_type,
                                headers={"Cache-Control": NO_STORE})
        if self.visitor:
            response.set_cookie(VISITOR_COOKIE, self.visitor, max_age=VISITOR_COOKIE_AGE, httponly=True,
                                samesite="Lax", secure=request.is_secure())
        return response


def _pad(t0: float) -> None:
    timing.pad_to_floor(t0, conf.negative_min_seconds())


def verify(request: HttpRequest, code: str) -> Outcome:
    """Record and judge one consumer query. Raises RateLimited, BadFormat or CodeInvalid."""
    t0 = time.monotonic()
    ip = ratelimit.client_ip(request)
    limit, window = conf.rate_client()
    if not ratelimit.hit("codes-verify-client", ip, limit=limit, window=window):
        raise RateLimited(_("Too many queries from your network. Please wait a minute and try again."))
    try:
        decoded, batch = services.decode_in_batch(code)
    except services.CodeInvalid as exc:
        if exc.reason in MISTYPED:
            raise BadFormat() from None
        _pad(t0)
        raise services.CodeInvalid() from None
    limit, window = conf.rate_code()
    if not ratelimit.hit("codes-verify-code", decoded.code, limit=limit, window=window):
        raise RateLimited(_("This code is being queried too often. Please try again later."))
    visitor, new = visitor_id(request)
    user = request.user if request.user.is_authenticated else None
    place = location.from_ip(ip)
    person = services.person_key(user=user, visitor=visitor, ip=ip)
    result = services.record_scan(code=decoded.code, batch=batch, serial=decoded.serial, place=place,
                                  person=person, consumer=user)
    return Outcome(result=result, visitor=visitor, new_visitor=new)


def certificate_url(holder: selectors.Seller) -> str | None:
    """The public lookup of the selling agent's active certificate (absolute, like the URL
    printed on the certificate itself), or None when the agent has none. Cached with the
    seller's other facts (selectors.seller)."""
    return f"{conf.site_url()}{holder.certificate_path}" if holder.certificate_path else None


def describe(result: services.ScanResult) -> dict:
    """Everything the page and the API show, as plain data."""
    state, batch, holder, event = result.state, result.batch, result.holder, result.event
    released = event.verdict != Verdict.UNRELEASED
    return {
        "code": result.code,
        # A code HQ has not scanned out yet may be a leaked label on a fake: like the page,
        # the API vouches for it only once it is released.
        "genuine": released,
        "verdict": event.verdict,
        "released": released,
        "nth": state.count,
        "first_query": state.count == 1,
        "first_at": state.first_at,
        "first_place": location.name(state.first_division),
        "distinct_people": state.people_count,
        "distinct_cities": state.city_count,
        "copied_warning": event.verdict == Verdict.WARNING,
        "product": str(batch.sku.product.name),
        "sku": batch.sku.name,
        "lot": batch.lot,
        "production_date": batch.production_date,
        "expiry_date": batch.expiry_date,
        "seller": holder.masked_name if holder is not None else None,
        "seller_level": holder.level if holder is not None else None,
        "seller_certificate_url": certificate_url(holder) if holder is not None else None,
        "place": location.name(event.division),
        "place_source": event.source,
        "with_pin": batch.with_pin,
        "token": event.token,
    }
