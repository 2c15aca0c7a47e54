"""Refund photos: inspected (a real JPEG/PNG/WebP of sane size) and kept in PRIVATE
storage, outside MEDIA_ROOT (which is served to anyone), shown only through the order
page's permission check (views.refund_photo).

The one place that stores them, in the shared private storage (core.uploads)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext_lazy as _

from weishang.core.validators import inspect_image

MAX_PHOTOS = 6


def private_storage() -> FileSystemStorage:
    from weishang.core.uploads import get_private_storage

    return get_private_storage()


def check(files) -> list[tuple[Any, str]]:
    """Inspect every uploaded photo before anything is written; [(file, extension)].
    Raises ValidationError naming the bad file."""
    files = [f for f in (files or []) if f]
    if len(files) > MAX_PHOTOS:
        raise ValidationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS}, code="too_many_photos")
    out = []
    for f in files:
        try:
            out.append((f, inspect_image(f)))
        except ValidationError as exc:
            raise ValidationError(_("%(name)s: %(msg)s") % {"name": getattr(f, "name", "?"),
                                                             "msg": exc.messages[0]}, code=exc.code) from None
    return out


def save(request_obj, checked: list[tuple[Any, str]]) -> None:
    from .models import RefundPhoto

    for f, ext in checked:
        photo = RefundPhoto(request=request_obj)
        photo.image.save(f"photo.{ext}", f, save=False)
        photo.save()
