"""Security headers Django's own middleware does not set (Django 5.2 has no CSP support)."""

from __future__ import annotations

from django.conf import settings
from django.utils.deprecation import MiddlewareMixin


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Content-Security-Policy and Permissions-Policy on every answer, unless a view set its
    own. The policies are in settings (CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY)."""

    def process_response(self, request, response):
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
