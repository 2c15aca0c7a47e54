"""API authentication: the page session (with CSRF) or a bearer token for mobile apps."""

from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_staff else None


class StaffTokenAuth(TokenAuth):
    def authenticate(self, request, token):
        user = super().authenticate(request, token)
        return user if user is not None and user.is_staff else None


session_or_token = [SessionAuth(), TokenAuth()]
staff_only = [StaffSessionAuth(), StaffTokenAuth()]
