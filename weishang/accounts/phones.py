"""Phone numbers for mainland China (+86) and Taiwan (+886), stored in E.164."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalize_phone(raw: str, default_region: str = "CN") -> str:
    """Parse what a person typed ("138 0013 8000", "+886 912 345 678", "0912345678")
    and return E.164, or raise ValidationError with a message for the form field."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    candidates = [default_region] + [r for r in settings.PHONE_REGIONS if r != default_region]
    for region in candidates:
        try:
            number = phonenumbers.parse(text, None if text.startswith("+") else region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) in settings.PHONE_REGIONS:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if text.startswith("+"):
            break
    raise ValidationError(
        _("Enter a valid mobile number from mainland China (+86) or Taiwan (+886)."), code="invalid_phone"
    )


def phone_region(e164: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""


def mask_phone(e164: str) -> str:
    """+8613800138000 -> 138****8000; +886912345678 -> 0912***678."""
    number = phonenumbers.parse(e164)
    national = str(number.national_number)
    if number.country_code == 886:
        national = "0" + national
        return national[:4] + "***" + national[-3:]
    return national[:3] + "****" + national[-4:]
