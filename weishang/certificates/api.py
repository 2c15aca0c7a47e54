"""Certificates API: my certificate (data, PNG, PDF) and the public authorisation lookup."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from weishang.accounts.auth import session_or_token
from weishang.agents.models import Agent
from weishang.core.api import ErrorOut
from weishang.core.errors import NotFound, PermissionDenied

from . import lookup as lookups
from . import render as drawing
from . import selectors
from .models import Certificate

API_PREFIX = "certificates"
router = Router(tags=["certificates"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


class CertificateOut(Schema):
    number: str
    name: str
    level: str
    province_code: str
    city_code: str
    district_code: str
    region: str
    channels: list[str]
    valid_from: dt.date
    valid_until: dt.date
    status: str
    lookup_url: str


class LookupOut(Schema):
    query: str
    found: bool
    masked_name: str = ""
    level: str = ""
    region: str = ""
    channels: list[str] = []
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    number: str = ""
    image_url: str = ""


class LookupIn(Schema):
    q: str = Field(..., max_length=200)


def _own_certificate(request: HttpRequest) -> Certificate:
    agent = Agent.objects.filter(user_id=request.user.pk).first() if request.user.pk else None
    if agent is None:
        raise PermissionDenied(_("Only agents have certificates."))
    cert = selectors.latest_for(agent)
    if cert is None:
        raise NotFound(_("You have no certificate yet."))
    return cert


def _out(cert: Certificate) -> CertificateOut:
    return CertificateOut(number=cert.number, name=cert.name, level=cert.level_name,
                          province_code=cert.province_code, city_code=cert.city_code,
                          district_code=cert.district_code, region=cert.region_name, channels=list(cert.channels),
                          valid_from=cert.valid_from, valid_until=cert.valid_until, status=cert.status,
                          lookup_url=drawing.lookup_url(cert.number))


@router.get("/mine", response={200: CertificateOut, **ERRORS}, auth=session_or_token,
            summary="My certificate (agents)")
def mine(request):
    return _out(_own_certificate(request))


@router.get("/mine.png", auth=session_or_token, summary="My certificate as a PNG image",
            response={200: None, **ERRORS})
def mine_png(request):
    cert = _own_certificate(request)
    return HttpResponse(drawing.render_png(cert), content_type="image/png",
                        headers={"Cache-Control": "private, no-store"})


@router.get("/mine.pdf", auth=session_or_token, summary="My certificate as a PDF",
            response={200: None, **ERRORS})
def mine_pdf(request):
    cert = _own_certificate(request)
    return HttpResponse(drawing.render_pdf(cert), content_type="application/pdf",
                        headers={"Cache-Control": "private, no-store"})


@router.get("/lookup", response={200: LookupOut, **ERRORS}, auth=None,
            summary="Public authorisation lookup by phone, WeChat ID or certificate number")
def lookup(request, response: HttpResponse, params: Query[LookupIn]):
    """Rate-limited per client (429); found or not, the answer takes the same minimum time.
    Not found means: no agent with a valid certificate matches."""
    answer = lookups.lookup(request, params.q)
    response["Cache-Control"] = "private, no-store"
    return LookupOut(query=answer.query, found=answer.found, masked_name=answer.masked_name, level=answer.level,
                     region=answer.region, channels=list(answer.channels), valid_from=answer.valid_from,
                     valid_until=answer.valid_until, number=answer.number, image_url=answer.image_url)
