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


def _login_limits(phone: str, ip: str, limit: int) -> list[tuple[str, str, int]]:
    # Count attempts per phone (guessing one account's password) and per client address
    # (spraying many accounts; a shared office or carrier NAT gets four times as many).
    return [("login-phone", phone, limit), ("login-ip", ip, limit * 4)]


def check_credentials(*, phone: str, password: str, ip: str, request=None) -> User:
    """Return the user or raise. Each attempt is counted BEFORE the password is checked (one
    atomic step in the shared rate-limit store), so concurrent attempts cannot all slip
    under the limit; past the limit every attempt, even a correct one, is refused unchecked
    until the window passes. A correct login takes its attempt back."""
    try:
        e164 = normalize_phone(phone)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="invalid_phone", fields={"phone": exc.messages}) from None
    limit, window = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS
    counted = _login_limits(e164, ip, limit)
    allowed = [ratelimit.hit(scope, ident, limit=n, window=window) for scope, ident, n in counted]
    if not all(allowed):
        raise RateLimited(_("Too many failed logins. Please wait %(m)d minutes and try again.") % {"m": window // 60})
    user = authenticate(request, phone=e164, password=password)
    if user is None:
        raise DomainError(_("The phone number or password is wrong."), code="bad_credentials", status=401)
    ratelimit.reset("login-phone", e164)
    ratelimit.undo("login-ip", ip)
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
