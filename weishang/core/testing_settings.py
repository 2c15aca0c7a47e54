"""Settings for the test suite (pyproject's DJANGO_SETTINGS_MODULE): the real settings,
plus what a test run needs whatever the environment says.

- With DATABASE_URL set, production defaults turn HTTPS on (redirect to https, secure
  cookies); the test client speaks plain http, so tests run with HTTPS off.
- A fast password hasher: PBKDF2's deliberate slowness costs ~0.3 s per user created.
"""

from weishang.settings import *  # noqa: F403

HTTPS = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
