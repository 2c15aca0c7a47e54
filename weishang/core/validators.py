from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_image_size(file) -> None:
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if file is not None and getattr(file, "size", 0) > limit:
        raise ValidationError(_("The image is too large (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)},
                              code="image_too_large")


IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
INVALID_IMAGE = _("Upload a JPEG, PNG or WebP image. This file is not an image or is damaged.")
MAX_IMAGE_PIXELS = 40_000_000  # 40 megapixels: more than any phone photo, far below a decompression bomb


def inspect_image(file) -> str:
    """Check an uploaded file is a JPEG, PNG or WebP image of sane size; return its file
    extension. Raises ValidationError with a message for the form field otherwise."""
    from PIL import Image, UnidentifiedImageError

    validate_image_size(file)
    if getattr(file, "size", 0) == 0:
        raise ValidationError(_("The file is empty."), code="empty_file")
    try:
        file.seek(0)
        with Image.open(file) as img:
            fmt = img.format
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(_("The image has too many pixels (at most 40 megapixels)."),
                                      code="image_too_large")
            img.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(INVALID_IMAGE, code="invalid_image") from None
    finally:
        file.seek(0)
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(INVALID_IMAGE, code="invalid_image")
    return IMAGE_FORMATS[fmt]


def validate_image(file) -> None:
    """inspect_image as a form/model field validator."""
    inspect_image(file)
