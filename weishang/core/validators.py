from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_image_size(file) -> None:
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if file is not None and getattr(file, "size", 0) > limit:
        raise ValidationError(_("The image is too large (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)},
                              code="image_too_large")
