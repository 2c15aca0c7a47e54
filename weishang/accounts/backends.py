from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from .phones import normalize_phone


class PhoneBackend(ModelBackend):
    """Log in with a phone number in any common format and a password."""

    def authenticate(self, request, username=None, password=None, phone=None, **kwargs):
        raw = phone or username
        if not raw or password is None:
            return None
        try:
            e164 = normalize_phone(raw)
        except ValidationError:
            return None
        return super().authenticate(request, username=e164, password=password, **kwargs)
