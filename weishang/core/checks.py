"""System checks for settings a deployment can get dangerously wrong."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def private_media_outside_public_media(app_configs=None, **kwargs):
    """Private uploads (transfer proofs) must not be reachable through /media/."""
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    public = Path(settings.MEDIA_ROOT).resolve()
    if private == public or public in private.parents or private in public.parents:
        return [checks.Error("PRIVATE_MEDIA_ROOT must be outside MEDIA_ROOT (and not contain it): /media/ would "
                             "serve transfer proofs to anyone.", id="weishang.E001")]
    if settings.PRIVATE_MEDIA_ACCEL not in ("", "nginx", "sendfile"):
        return [checks.Error('PRIVATE_MEDIA_ACCEL must be "", "nginx" or "sendfile".', id="weishang.E002")]
    return []
