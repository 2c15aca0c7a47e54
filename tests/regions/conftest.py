import pytest


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """With DATABASE_URL set, settings default to HTTPS=1 (redirect, secure cookies); the
    test client and the live server speak plain http."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
