"""API authentication: the page session (with CSRF) or a bearer token for mobile apps."""

from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken


def _bears_token(request) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


class PageSessionAuth(SessionAuth):
    """The browser's session cookie, CSRF-checked. A request that carries a bearer token is
    the token's alone: ninja's cookie check would raise "CSRF check Failed" before the token
    is tried, and a token cannot be forged cross-site, so it needs no CSRF token."""

    def __call__(self, request):
        if _bears_token(request):
            return None
        return super().__call__(request)


class StaffSessionAuth(PageSessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_staff else None


class StaffTokenAuth(TokenAuth):
    def authenticate(self, request, token):
        user = super().authenticate(request, token)
        return user if user is not None and user.is_staff else None


# The token first: a request with a bearer header is answered by it (401 when it is wrong).
session_or_token = [TokenAuth(), PageSessionAuth()]
staff_only = [StaffTokenAuth(), StaffSessionAuth()]
