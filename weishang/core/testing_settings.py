"""Settings for the test suite (pyproject's DJANGO_SETTINGS_MODULE): the real settings,
plus what a test run needs whatever the environment says.

- With DATABASE_URL set, production defaults turn HTTPS on (redirect to https, secure
  cookies); the test client speaks plain http, so tests run with HTTPS off.
- A fast password hasher: PBKDF2's deliberate slowness costs ~0.3 s per user created.
- SQLite tests use a file (per test process, in the temp dir) instead of Django's shared
  in-memory database, so tests that run threads (concurrent writers, live_server) see one
  database with the real WAL/IMMEDIATE behaviour. SQLITE_TEST_PATH overrides the path.
"""

import os
import tempfile

from weishang.settings import *  # noqa: F403
from weishang.settings import DATABASES

_db: dict = DATABASES["default"]
if str(_db["ENGINE"]).endswith("sqlite3"):
    _db["TEST"] = {
        **dict(_db.get("TEST") or {}),
        "NAME": os.environ.get("SQLITE_TEST_PATH")
        or os.path.join(tempfile.gettempdir(), f"weishang-test-{os.getpid()}.sqlite3"),
    }

# Rate-limit counters per test process, never the checkout's var/ratelimit.sqlite3.
RATELIMIT_SQLITE_PATH = os.path.join(tempfile.gettempdir(), f"weishang-test-ratelimit-{os.getpid()}.sqlite3")

HTTPS = False
TRUSTED_PROXY_COUNT = 0  # the test client connects directly; tests that need a proxy set it
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
