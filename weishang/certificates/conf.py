"""Certificate and lookup settings (each can be overridden in settings)."""

from __future__ import annotations

from django.conf import settings


def prefix() -> str:
    """Letters before the year in a certificate number (LX2026-…)."""
    return str(getattr(settings, "CERTIFICATE_PREFIX", "LX")).upper()[:4] or "LX"


def valid_days() -> int:
    return int(getattr(settings, "CERTIFICATE_VALID_DAYS", 365))


def default_channels() -> list[str]:
    return list(getattr(settings, "CERTIFICATE_CHANNELS", ("wechat", "miniprogram", "line")))


def lookup_rate() -> tuple[int, int]:
    """(queries, seconds) per client for the public lookup."""
    limit, window = getattr(settings, "LOOKUP_RATE", (20, 60))
    return int(limit), int(window)


def lookup_min_seconds() -> float:
    """Every lookup answer (found or not) takes at least this long; see docs/decisions.md."""
    return float(getattr(settings, "LOOKUP_MIN_SECONDS", 0.2))


def image_link_seconds() -> int:
    """How long the certificate image link in a lookup answer works."""
    return int(getattr(settings, "LOOKUP_IMAGE_LINK_SECONDS", 3600))
