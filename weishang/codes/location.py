"""Coarse location of a scan as a division code, and where it came from.

Order of trust: the device's location when the consumer allows the browser to share it
(turned into a division code on the server with the offline GeoToolCN boundaries; the
coordinates themselves are never stored), else a city the consumer picks, else the client
IP through the offline ip2region database (weishang.regions.iplocate), else unknown. Only
division codes (city level) are kept.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from .models import LocationSource


@dataclass(frozen=True)
class Place:
    division: str
    source: str

    @property
    def province(self) -> str:
        return self.division[:2]


UNKNOWN = Place("", LocationSource.NONE)


def normalize_division(code: object) -> str | None:
    try:
        from weishang.regions import divisions
    except ImportError:  # pragma: no cover - regions is part of the product
        text = str(code or "")
        return text if text.isdigit() and len(text) == 6 else None
    return divisions.normalize(code) if divisions.get(code) is not None else None


def city_of(code: str) -> str:
    """The city-level (PPCC00) code of a division code."""
    return code[:4] + "00" if code else ""


def from_ip(ip: str) -> Place:
    try:
        from weishang.regions import iplocate
    except ImportError:  # pragma: no cover
        return UNKNOWN
    loc = iplocate.locate(ip)
    if loc is None or not loc.code:
        return UNKNOWN
    return Place(loc.city_code or loc.province_code or loc.code, LocationSource.IP)


@functools.cache
def _geotool():
    try:
        from GeoToolCN import GeoTool
    except ImportError:  # pragma: no cover - installed from requirements.txt
        return None
    return GeoTool()


def coords_supported() -> bool:
    return _geotool() is not None


def from_coords(lat: object, lng: object) -> Place | None:
    """The city (division code) at WGS-84 coordinates from the browser, or None outside the
    regions we know (or without the boundary data)."""
    try:
        lat_f, lng_f = float(lat), float(lng)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat_f) and math.isfinite(lng_f) and -90 <= lat_f <= 90 and -180 <= lng_f <= 180):
        return None
    geo = _geotool()
    if geo is None:
        return None
    found = geo.reverse(lat_f, lng_f)
    for level in (found.district, found.city, found.province):
        code = normalize_division(level.code) if level is not None else None
        if code:
            return Place(_city_level(code), LocationSource.GPS)
    return None


def _city_level(code: str) -> str:
    """A district's city, a city itself, or a province where it has no cities."""
    from weishang.regions import divisions

    d = divisions.get(code)
    if d is None:
        return code
    return d.city_code or d.province_code


def chosen(code: object) -> Place | None:
    division = normalize_division(code)
    return Place(division, LocationSource.CHOICE) if division else None


def name(code: str) -> str:
    if not code:
        return ""
    try:
        from weishang.regions import divisions
    except ImportError:  # pragma: no cover
        return code
    d = divisions.get(code)
    return d.full_name if d is not None else code


def same_province(a: str, b: str) -> bool:
    from weishang.regions import divisions

    return divisions.same_province(a, b)


def same_city(a: str, b: str) -> bool:
    from weishang.regions import divisions

    return divisions.same_city(a, b)
