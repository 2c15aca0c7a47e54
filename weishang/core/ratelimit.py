"""Fixed-window rate limits on the shared cache (Redis in production, so limits hold
across app servers). One helper for logins, public lookups and code verification."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # Behind the proxy, the left-most X-Forwarded-For entry is the client. Only trust it
    # when the deployment says a proxy sets it.
    from django.conf import settings

    if getattr(settings, "HTTPS", False) or getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one event; return False when the limit for this window is exceeded."""
    key = _key(scope, ident)
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return True
    return count <= limit


def count(scope: str, ident: str) -> int:
    return int(cache.get(_key(scope, ident)) or 0)


def reset(scope: str, ident: str) -> None:
    cache.delete(_key(scope, ident))
