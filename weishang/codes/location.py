"""Coarse location of a scan as a division code, and where it came from.

Order: a city the consumer picked (or a device location already turned into a division
code by the client), else the client IP through the offline ip2region database
(weishang.regions.iplocate), else unknown. Only division codes are kept.
"""

from __future__ import annotations

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
