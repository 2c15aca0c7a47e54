"""Account write operations: log in (rate-limited), register, change password, tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from weishang.core import ratelimit
from weishang.core.errors import DomainError, RateLimited

from .models import ApiToken, User
from .phones import normalize_phone, phone_region

# A new person's time zone follows their number until they choose one.
REGION_TIME_ZONES = {"CN": "Asia/Shanghai", "TW": "Asia/Taipei"}


def _login_idents(phone: str, ip: str) -> list[tuple[str, str]]:
    # Count failures per phone (guessing one account's password) and per client
    # address (spraying many accounts).
    return [("login-phone", phone), ("login-ip", ip)]


def check_credentials(*, phone: str, password: str, ip: str, request=None) -> User:
    """Return the user or raise. Failed attempts are counted; past the limit every
    attempt (even a correct one) is refused until the window passes."""
    try:
        e164 = normalize_phone(phone)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="invalid_phone", fields={"phone": exc.messages}) from None
    limit, window = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS
    idents = _login_idents(e164, ip)
    if any(ratelimit.count(scope, ident) >= limit for scope, ident in idents[:1]) or \
            ratelimit.count(*idents[1]) >= limit * 4:
        raise RateLimited(_("Too many failed logins. Please wait %(m)d minutes and try again.") % {"m": window // 60})
    user = authenticate(request, phone=e164, password=password)
    if user is None:
        for scope, ident in idents:
            ratelimit.hit(scope, ident, limit=limit, window=window)
        raise DomainError(_("The phone number or password is wrong."), code="bad_credentials", status=401)
    ratelimit.reset(*idents[0])
    return user


@transaction.atomic
def register_consumer(*, phone: str, password: str, name: str = "") -> User:
    try:
        e164 = normalize_phone(phone)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="invalid_phone", fields={"phone": exc.messages}) from None
    if User.objects.filter(phone=e164).exists():
        raise DomainError(_("This phone number is already registered."), code="phone_taken",
                          fields={"phone": [_("This phone number is already registered.")]})
    if "\x00" in name:
        raise DomainError(_("Remove the NUL character from this text."), code="validation_error",
                          fields={"name": [_("Remove the NUL character from this text.")]})
    user = User(phone=e164, name=name.strip()[:60])
    user.time_zone = REGION_TIME_ZONES.get(phone_region(e164), settings.TIME_ZONE)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="weak_password", fields={"password": exc.messages}) from None
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def change_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise DomainError(_("Your current password is wrong."), code="bad_credentials",
                          fields={"old_password": [_("Your current password is wrong.")]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="weak_password", fields={"new_password": exc.messages}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # A password change signs out every mobile client.
    user.api_tokens.all().delete()


def issue_token(user: User, device: str = "") -> str:
    _token, key = ApiToken.issue(user, device.replace("\x00", ""))
    return key


def revoke_token(key: str) -> None:
    from .models import _hash_token

    ApiToken.objects.filter(key_hash=_hash_token(key)).delete()
