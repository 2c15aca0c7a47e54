from django.contrib.auth import login, logout
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.utils import check_csrf
from pydantic import Field

from weishang.core.api import SAFE_TEXT, ErrorOut
from weishang.core.errors import PermissionDenied
from weishang.core.ratelimit import client_ip

from . import services
from .auth import session_or_token

router = Router(tags=["auth"])


class LoginIn(Schema):
    phone: str = Field(max_length=40)
    password: str = Field(max_length=128)
    device: str = Field("", max_length=60, pattern=SAFE_TEXT, description="Shown in the user's token list")
    session: bool = False


class TokenOut(Schema):
    token: str | None = None
    user_id: int
    roles: list[str]


class MeOut(Schema):
    id: int
    phone: str
    name: str
    roles: list[str]
    time_zone: str


class RegisterIn(Schema):
    phone: str = Field(max_length=40)
    password: str = Field(max_length=128)
    name: str = Field("", max_length=60, pattern=SAFE_TEXT)


class PasswordIn(Schema):
    old_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)


@router.post("/login", response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
             auth=None)
def api_login(request, payload: LoginIn):
    """Log in by phone and password. Returns a bearer token for mobile clients, or sets
    the page session when `session` is true (then the CSRF token is required, so another
    site cannot log a browser into an account of its choosing)."""
    if payload.session and check_csrf(request) is not None:
        raise PermissionDenied(_("The page expired. Reload it and try again."), code="csrf_failed")
    user = services.check_credentials(phone=payload.phone, password=payload.password, ip=client_ip(request),
                                      request=request)
    if payload.session:
        login(request, user)
        return {"token": None, "user_id": user.id, "roles": user.roles}
    return {"token": services.issue_token(user, payload.device), "user_id": user.id, "roles": user.roles}


@router.post("/register", response={201: TokenOut, 400: ErrorOut}, auth=None)
def api_register(request, payload: RegisterIn):
    user = services.register_consumer(phone=payload.phone, password=payload.password, name=payload.name)
    return 201, {"token": services.issue_token(user), "user_id": user.id, "roles": user.roles}


@router.post("/logout", response={204: None, 401: ErrorOut}, auth=session_or_token)
def api_logout(request):
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        services.revoke_token(header[7:].strip())
    logout(request)
    return 204, None


@router.get("/me", response={200: MeOut, 401: ErrorOut}, auth=session_or_token)
def api_me(request):
    user = request.auth
    return {"id": user.id, "phone": user.phone, "name": user.name, "roles": user.roles, "time_zone": user.time_zone}


@router.post("/password", response={204: None, 400: ErrorOut, 401: ErrorOut}, auth=session_or_token)
def api_password(request, payload: PasswordIn):
    services.change_password(user=request.auth, old_password=payload.old_password, new_password=payload.new_password)
    return 204, None
API_PREFIX = "auth"
