"""Public, cacheable division lookups: GET /api/v1/regions and /api/v1/regions/{code}/children."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from ninja import Router, Schema

from weishang.core.api import ErrorOut
from weishang.core.errors import NotFound

from . import divisions

API_PREFIX = "regions"
MAX_AGE = 24 * 3600
router = Router(tags=["regions"])


class DivisionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None
    full_name: str
    postcode: str | None = None
    name_en: str | None = None
    has_children: bool


class DivisionDetailOut(DivisionOut):
    path: list[DivisionOut]


def _out(d: divisions.Division) -> dict:
    return {
        "code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent_code,
        "full_name": d.full_name, "postcode": d.postcode, "name_en": d.name_en,
        "has_children": bool(divisions.children(d.code)),
    }


def _cache(response: HttpResponse) -> None:
    patch_cache_control(response, public=True, max_age=MAX_AGE)


def _division(code: str) -> divisions.Division:
    div = divisions.get(code)
    if div is None:
        raise NotFound(_("Unknown region code."), code="unknown_region")
    return div


@router.get("", response=list[DivisionOut], auth=None, summary="Provinces")
def list_provinces(request: HttpRequest, response: HttpResponse):
    _cache(response)
    return [_out(d) for d in divisions.provinces()]


@router.get("/{code}", response={200: DivisionDetailOut, 404: ErrorOut}, auth=None, summary="One division")
def get_division(request: HttpRequest, response: HttpResponse, code: str):
    div = _division(code)
    _cache(response)
    return {**_out(div), "path": [_out(d) for d in divisions.path(div.code)]}


@router.get("/{code}/children", response={200: list[DivisionOut], 404: ErrorOut}, auth=None,
            summary="Cities of a province, districts of a city")
def list_children(request: HttpRequest, response: HttpResponse, code: str):
    div = _division(code)
    _cache(response)
    return [_out(d) for d in divisions.children(div.code)]
