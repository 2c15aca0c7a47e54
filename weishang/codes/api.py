"""Codes API: public verification, and scan-out for warehouse staff and agents."""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from pydantic import Field

from weishang.accounts.auth import session_or_token
from weishang.accounts.roles import check_hq
from weishang.agents.models import Agent
from weishang.core.api import SAFE_TEXT, BodyId, ErrorOut, PathId
from weishang.core.errors import DomainError, NotFound

from . import location, services
from . import verify as verification
from .models import Shipment, ShipmentLine

router = Router(tags=["codes"])
API_PREFIX = "codes"


class VerifyOut(Schema):
    code: str
    genuine: bool = Field(description="True only for a released code (scanned out by HQ or an agent); "
                                      "an issued code not yet released answers false with verdict `unreleased`.")
    verdict: str = Field(description="genuine | warning (queried too widely: probably copied) | unreleased")
    released: bool
    nth: int
    first_query: bool
    first_at: dt.datetime
    first_place: str
    distinct_people: int
    distinct_cities: int
    copied_warning: bool
    product: str
    sku: str
    lot: str
    production_date: dt.date
    expiry_date: dt.date
    seller: str | None = Field(description="The selling agent's masked name (张*明).")
    seller_level: str | None
    seller_certificate_url: str | None
    place: str
    place_source: str
    with_pin: bool
    token: str = Field(description="Proves this scan is yours, to set its city within the window.")


def _json(value):
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value))


@router.get("/verify/{code}", response={200: VerifyOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
            auth=None, summary="Verify a code (records the query)")
def verify(request: HttpRequest, code: str):
    """Genuine or not, the Nth query, product and batch, the seller (masked name and level).
    Every call is recorded before the answer. Unknown and forged codes both answer 404
    `code_not_genuine`."""
    return verify_answer(request, code).response(request)


def verify_answer(request: HttpRequest, code: str) -> verification.Answer:
    """The API's answer to one scan (anonymous callers reach it through codes.fastpath).
    Raises the domain errors the API turns into 400/404/429."""
    outcome = verification.verify(request, code)
    # Serialised here, not through the schema: this answers every scan; VerifyOut documents it
    # and a test checks the answer against it.
    body = json.dumps(verification.describe(outcome.result), default=_json, ensure_ascii=False)
    return verification.Answer(200, body, "application/json; charset=utf-8")


class PlaceIn(Schema):
    token: str = Field(max_length=24, pattern=SAFE_TEXT)
    division: str | None = Field(None, max_length=12, pattern=r"^\d{2,6}$",
                                 description="A city the consumer picked (division code).")
    lat: float | None = Field(None, ge=-90, le=90, description="Device latitude (WGS-84), with consent; not stored.")
    lng: float | None = Field(None, ge=-180, le=180, description="Device longitude (WGS-84); not stored.")


class PlaceOut(Schema):
    ok: bool
    place: str = Field("", description="The city now recorded for this scan.")


@router.post("/verify/{code}/place", response={200: PlaceOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             auth=None, summary="Set the place of your own recent scan", url_name="codes_verify_place")
def verify_place(request: HttpRequest, code: str, payload: PlaceIn):
    """Either the device location (lat/lng, turned into a city's division code; the
    coordinates are not kept) or a city the consumer picked (division)."""
    decoded, _batch = services.decode_in_batch(code)
    if payload.lat is not None and payload.lng is not None:
        place = location.from_coords(payload.lat, payload.lng)
        if place is None:
            raise DomainError(_("This location is outside the regions we know; choose a city instead."),
                              fields={"lat": [_("Outside the regions we know.")]}, code="invalid_place")
    else:
        place = location.chosen(payload.division)
        if place is None:
            raise DomainError(fields={"division": [_("Unknown division code.")]}, code="invalid_place")
    services.relocate_scan(serial=decoded.serial, token=payload.token, place=place)
    return Status(200, {"ok": True, "place": location.name(place.division)})


class ShipmentIn(Schema):
    to_agent_id: BodyId
    reference: str = Field("", max_length=40, pattern=SAFE_TEXT)


class ScanLineOut(Schema):
    id: int
    kind: str
    items: int
    ranges: str
    created_at: dt.datetime
    undone_at: dt.datetime | None
    undo_reason: str


class ScanShipmentOut(Schema):
    id: int
    from_agent_id: int | None
    to_agent_id: int
    reference: str
    status: str
    created_at: dt.datetime


def _shipments(request):
    user = request.auth if hasattr(request.auth, "pk") else request.user
    qs = Shipment.objects.all()
    if services.can_ship_from(user, None):
        return user, qs.filter(from_agent__isnull=True)
    agent = getattr(user, "agent", None)
    if agent is None:
        return user, qs.none()
    return user, qs.filter(from_agent=agent)


@router.get("/shipments", response=list[ScanShipmentOut], auth=session_or_token, summary="My scan-out shipments")
def list_shipments(request):
    _user, qs = _shipments(request)
    return list(qs[:100])


@router.post("/shipments", response={201: ScanShipmentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             auth=session_or_token, summary="Start a scan-out to an agent")
def create_shipment(request, payload: ShipmentIn):
    user = request.auth if hasattr(request.auth, "pk") else request.user
    to_agent = Agent.objects.filter(pk=payload.to_agent_id).first()
    if to_agent is None:
        raise NotFound()
    return Status(201, services.open_shipment(user=user, to_agent=to_agent, reference=payload.reference))


class ScanIn(Schema):
    code: str = Field(max_length=200, pattern=SAFE_TEXT)


@router.post("/shipments/{shipment_id}/scan", response={201: ScanLineOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                                         409: ErrorOut},
             auth=session_or_token, summary="Bind a scanned case, box or item to the shipment")
def scan(request, shipment_id: PathId, payload: ScanIn):
    user, qs = _shipments(request)
    shipment = qs.filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound()
    return Status(201, services.scan_out(user=user, shipment=shipment, code=payload.code))


class UndoIn(Schema):
    reason: str = Field(max_length=200, pattern=SAFE_TEXT)


@router.post("/lines/{line_id}/undo", response={200: ScanLineOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             auth=session_or_token, summary="Undo a scan with a reason")
def undo(request, line_id: PathId, payload: UndoIn):
    user, qs = _shipments(request)
    line = ShipmentLine.objects.select_related("shipment").filter(pk=line_id, shipment__in=qs).first()
    if line is None:
        raise NotFound()
    return Status(200, services.undo_line(user=user, line=line, reason=payload.reason))


class PackingIn(Schema):
    parent: str = Field(max_length=200, pattern=SAFE_TEXT, description="The box or case code.")
    children: list[str] = Field(max_length=10_000, description="Item codes (for a box) or box codes (for a case).")


class PackingOut(Schema):
    parent: str
    ranges: list[tuple[int, int]]


@router.post("/packing", response={201: PackingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             auth=session_or_token, summary="A packing line reports what it put in a box or case")
def report_packing(request, payload: PackingIn):
    user = request.user
    check_hq(user, "codes.add_packingrange")
    rows = services.report_packing(parent_code=payload.parent, child_codes=payload.children)
    return Status(201, {"parent": payload.parent, "ranges": [(r.child_start, r.child_end) for r in rows]})
