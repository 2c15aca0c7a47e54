"""Uploaded images: the one way every upload is checked, re-encoded, named and (when
private) served.

An upload is never stored as sent. `accept_image` checks the content (not the name) is a
JPEG/PNG/WebP of sane size (`validators.inspect_image`), then decodes and re-encodes the
pixels, so whatever else the file carried (an HTML or SVG payload, a polyglot tail, EXIF
with the phone's GPS position) is gone, and names it with a random name.

Private uploads (transfer proofs, collection QR codes) live under
settings.PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT, so /media/ can never reach them; a view
that checked permission answers with `private_file_response` (or lets nginx / a
sendfile-capable server send the bytes, settings.PRIVATE_MEDIA_ACCEL).
"""

from __future__ import annotations

import io
import posixpath
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models.fields.files import ImageFieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.utils.deconstruct import deconstructible

from .errors import DomainError
from .validators import INVALID_IMAGE, inspect_image, validate_image

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# Headers on every private file: never sniffed into HTML, never able to run script even if
# opened as a document, kept out of shared caches.
PRIVATE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The browser's own page around an image opened directly styles it inline; a file
    # served as an image (nosniff) cannot carry styles of its own.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cache-Control": "private, max-age=3600",
    "Referrer-Policy": "no-referrer",
}


def reencode_image(file) -> ContentFile:
    """Inspect `file` and return its pixels re-encoded in the same format, under a random
    name. Raises ValidationError (the message for the form field) if it is not an image."""
    from PIL import Image, ImageOps

    ext = inspect_image(file)
    fmt = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[ext]
    try:
        file.seek(0)
        with Image.open(file) as src:
            img = ImageOps.exif_transpose(src)  # keep the photo upright once EXIF is dropped
            if fmt == "JPEG" and img.mode not in ("RGB", "L"):
                img = img.convert("RGB")
            elif fmt in ("PNG", "WEBP") and img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                img = img.convert("RGBA")
            out = io.BytesIO()
            options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {"optimize": True}
            img.save(out, fmt, **options)
    except (OSError, ValueError, SyntaxError):
        raise ValidationError(INVALID_IMAGE, code="invalid_image") from None
    finally:
        file.seek(0)
    clean = ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}")
    clean.reencoded = True  # type: ignore[attr-defined]  # ReencodedImageField need not do it again
    return clean


def accept_image(file, *, field: str) -> ContentFile:
    """`reencode_image` for a service: a bad file becomes a DomainError on `field` (a 400
    {code, message, fields} in the API, the field's error on a form)."""
    try:
        return reencode_image(file)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.error_list[0].code or "invalid_image",
                          fields={field: exc.messages}) from None


class ReencodedImageFieldFile(ImageFieldFile):
    def save(self, name, content, save=True):
        if not getattr(content, "reencoded", False):
            content = reencode_image(content)
        super().save(content.name, content, save)


class ReencodedImageField(models.ImageField):
    """An ImageField whose content is checked (`inspect_image`, as a validator, so forms and
    the admin show the error) and whose every stored file is re-encoded first, whoever
    stores it: a service, a form, the admin or `field.save()`."""

    attr_class = ReencodedImageFieldFile

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("validators", [validate_image])
        super().__init__(*args, **kwargs)


@deconstructible
class RandomName:
    """upload_to that ignores the uploaded name (which the uploader chose, and which may say
    more than it should) and keeps only a known image extension."""

    def __init__(self, folder: str) -> None:
        self.folder = folder.strip("/")

    def __call__(self, instance, filename: str) -> str:
        ext = posixpath.splitext(filename or "")[1].lower().lstrip(".")
        ext = "jpg" if ext == "jpeg" else ext
        return f"{self.folder}/{uuid.uuid4().hex}.{ext if ext in CONTENT_TYPES else 'bin'}"

    def __eq__(self, other) -> bool:
        return isinstance(other, RandomName) and other.folder == self.folder


class PrivateStorage(FileSystemStorage):
    """Files under settings.PRIVATE_MEDIA_ROOT, which has no URL: only a view that checked
    permission serves them. The root is read on each use so tests can move it."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property  # type: ignore[override]
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property  # type: ignore[override]
    def location(self):
        return str(Path(settings.PRIVATE_MEDIA_ROOT).resolve())

    def url(self, name):  # pragma: no cover - a programming error, not a user path
        raise ValueError("private files have no public URL; link to the view that checks permission")


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """For FileField(storage=...): a callable, so migrations do not freeze a path."""
    return private_storage


def private_file_response(fieldfile, *, download_name: str) -> HttpResponse | FileResponse:
    """Answer with a private file whose permission the caller has checked. A re-encoded
    image goes inline with its image type (so <img> shows it); anything else (an old
    upload that is not an image) only as an attachment of no particular type."""
    name = fieldfile.name if fieldfile else ""
    if not name or not fieldfile.storage.exists(name):
        raise Http404
    ext = posixpath.splitext(name)[1].lower().lstrip(".")
    content_type = CONTENT_TYPES.get(ext)
    disposition = "inline" if content_type else "attachment"
    filename = f"{download_name}.{ext}" if content_type else f"{download_name}.bin"
    accel = getattr(settings, "PRIVATE_MEDIA_ACCEL", "")
    response: HttpResponse | FileResponse
    if accel == "nginx":
        response = HttpResponse(content_type=content_type or "application/octet-stream")
        response["X-Accel-Redirect"] = settings.PRIVATE_MEDIA_ACCEL_PREFIX.rstrip("/") + "/" + quote(name)
    elif accel == "sendfile":
        response = HttpResponse(content_type=content_type or "application/octet-stream")
        response["X-Sendfile"] = fieldfile.storage.path(name)
    else:
        response = FileResponse(fieldfile.storage.open(name, "rb"),
                                content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response
