"""The public authorisation lookup (授权查询), shared by the page and the API.

Order: client rate limit (cache only, before any database work) → the query → the answer,
padded to a fixed minimum time (conf.lookup_min_seconds) whether or not an agent was found,
so response times do not tell a listed phone or WeChat ID from an unlisted one.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from weishang.core import ratelimit, timing
from weishang.core.errors import DomainError, RateLimited

from . import conf, selectors
from .models import Certificate
from .render import mask_name

IMAGE_SALT = "weishang.certificates.lookup-image"
MAX_QUERY = 64


@dataclass
class Answer:
    query: str
    found: bool
    masked_name: str = ""
    level: str = ""
    region: str = ""
    channels: tuple[str, ...] = ()
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    number: str = ""
    image_url: str = ""


def image_token(cert: Certificate) -> str:
    return signing.TimestampSigner(salt=IMAGE_SALT).sign(cert.number)


def number_from_image_token(token: str) -> str | None:
    try:
        return signing.TimestampSigner(salt=IMAGE_SALT).unsign(token, max_age=conf.image_link_seconds())
    except signing.BadSignature:
        return None


def _answer(query: str, cert: Certificate | None) -> Answer:
    if cert is None:
        return Answer(query=query, found=False)
    return Answer(query=query, found=True, masked_name=mask_name(cert.name), level=cert.level_name,
                  region=cert.region_name, channels=tuple(cert.channel_labels), valid_from=cert.valid_from,
                  valid_until=cert.valid_until, number=cert.number,
                  image_url=reverse("certificates:lookup_image", args=[image_token(cert)]))


def clean_query(raw: str) -> str:
    text = (raw or "").replace("\x00", "").strip()
    if not text:
        raise DomainError(_("Enter a phone number, WeChat ID or certificate number."), code="query_required",
                          fields={"q": [_("Enter a phone number, WeChat ID or certificate number.")]})
    if len(text) > MAX_QUERY:
        raise DomainError(_("That is too long for a phone number, WeChat ID or certificate number."),
                          code="query_too_long", fields={"q": [_("Too long.")]})
    return text


def lookup(request: HttpRequest, raw: str) -> Answer:
    """Raises RateLimited or DomainError (empty / too long query); otherwise an Answer."""
    t0 = time.monotonic()
    limit, window = conf.lookup_rate()
    if not ratelimit.hit("cert-lookup", ratelimit.client_ip(request), limit=limit, window=window):
        raise RateLimited(_("Too many lookups from your network. Please wait a minute and try again."))
    query = clean_query(raw)
    try:
        return _answer(query, selectors.find_authorised(query))
    finally:
        timing.pad_to_floor(t0, conf.lookup_min_seconds())
