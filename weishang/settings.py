"""Django settings, all read from the environment.

Embedded default (no variables set): SQLite in WAL mode under ./var, tasks run eagerly,
local-memory cache, a secret generated once into ./var/secret_key. Production sets
DATABASE_URL (PostgreSQL), REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and HTTPS=1.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WEISHANG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
NODE_MODULES = Path(os.environ.get("WEISHANG_NODE_MODULES", BASE_DIR / "node_modules"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _embedded_secret() -> str:
    """A secret generated once per checkout, so the embedded default is never a known key."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _embedded_secret()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

DATABASE_URL = os.environ.get("DATABASE_URL", "")
EMBEDDED = not DATABASE_URL

# HTTPS=1 behind a TLS-terminating proxy: secure cookies, HSTS, redirect. Default on for
# a production database, off for the embedded default which serves plain http locally.
HTTPS = env_bool("HTTPS", not EMBEDDED and not DEBUG)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
# Client address behind proxies: how many proxies in front of the app append to
# X-Forwarded-For. The client is the entry N from the right; entries left of it are the
# client's own and never trusted. Default 1 behind the HTTPS proxy, 0 (use the socket
# address, ignore the header) otherwise. TRUST_X_FORWARDED_FOR=1 is the old spelling of 1.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT") or
                          (1 if HTTPS or env_bool("TRUST_X_FORWARDED_FOR") else 0))
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Scripts only from our own origin: no inline <script>, no on* attributes, no eval (htmx runs
# with allowEval off; templates use data-* attributes handled by static/js/app.js). Inline
# styles stay allowed (style attributes set by ECharts' tooltips and Swagger UI); an injected
# style cannot run code. See README "Content-Security-Policy".
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# The camera for the scan-out page, the location for the verification page; nothing else.
PERMISSIONS_POLICY = ", ".join([
    "camera=(self)", "geolocation=(self)", "microphone=()", "payment=()", "usb=()", "serial=()", "hid=()",
    "midi=()", "accelerometer=()", "gyroscope=()", "magnetometer=()", "display-capture=()",
    "fullscreen=()", "autoplay=()", "screen-wake-lock=()", "publickey-credentials-get=()", "browsing-topics=()",
])

INSTALLED_APPS = [
    "weishang.analytics.apps.HQAdminConfig",  # the admin, opening on the HQ dashboard
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the /api/docs assets from our own static files (no CDN)
    "weishang.core",
    "weishang.accounts",
    "weishang.regions",
    "weishang.catalog",
    "weishang.ledger",
    "weishang.agents",
    "weishang.recruitment",
    "weishang.complaints",
    "weishang.certificates",
    "weishang.inventory",
    "weishang.orders",
    "weishang.payments",
    "weishang.earnings",
    "weishang.codes",
    "weishang.analytics",
    "weishang.shop",
]

MIDDLEWARE = [
    "weishang.core.logs.RequestIdMiddleware",  # request id and one access line per request
    "django.middleware.security.SecurityMiddleware",
    "weishang.core.middleware.SecurityHeadersMiddleware",  # CSP, Permissions-Policy
    "weishang.core.staticfiles.WhiteNoiseMiddleware",  # WhiteNoise, gzip for files from the finders too
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "weishang.core.middleware.InputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "weishang.accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "weishang.urls"
WSGI_APPLICATION = "weishang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "weishang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "weishang.core.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
if EMBEDDED:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "weishang.sqlite3")),
            "OPTIONS": {
                # WAL lets readers run beside one writer; IMMEDIATE makes a writer take the
                # lock at BEGIN so concurrent writers queue on the busy timeout instead of
                # failing with "database is locked" halfway through a transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-65536;"
                    "PRAGMA temp_store=MEMORY;"
                    # Checkpoint the WAL every N pages (SQLite's default: 1000). The checkpoint
                    # runs inside the committing write, while other writers wait; a larger
                    # interval copies pages written many times (the scan tables' last pages)
                    # once and syncs less often (docs/decisions.md).
                    f"PRAGMA wal_autocheckpoint={int(os.environ.get('SQLITE_WAL_AUTOCHECKPOINT', '10000'))};"
                ),
            },
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH") or None},
            # Keep the connection (and its PRAGMAs and page cache) between requests:
            # measured +25-80% requests/s on the catalog pages.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }
else:
    DATABASES = {"default": dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "weishang"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "weishang"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
# Rate-limit counters without Redis: one SQLite file shared by the workers of this machine.
RATELIMIT_SQLITE_PATH = os.environ.get("RATELIMIT_SQLITE_PATH", str(VAR_DIR / "ratelimit.sqlite3"))
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "UTC"
# Periodic jobs: each later issue adds its job here; `manage.py run_periodic_jobs` runs
# every one of them once (cron-friendly, and what the embedded default uses).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}
for _app in [a for a in INSTALLED_APPS if a.startswith("weishang.") and a.count(".") == 1]:  # apps, not AppConfigs
    # Each app lists its periodic jobs in weishang/<app>/schedule.py as BEAT = {...}
    # (plain data, no Django imports), so no shared list needs editing.
    try:
        _mod = __import__(f"{_app}.schedule", fromlist=["BEAT"])
    except ModuleNotFoundError:
        continue
    CELERY_BEAT_SCHEDULE.update(getattr(_mod, "BEAT", {}))
# BEAT_EVERY="orders-expire-unpaid=5,…" changes entries' intervals in seconds (the topology
# smoke test runs the auto-cancel job every few seconds instead of every minute).
for _item in env_list("BEAT_EVERY", ""):
    _name, _sep, _seconds = _item.partition("=")
    if _name.strip() in CELERY_BEAT_SCHEDULE:
        CELERY_BEAT_SCHEDULE[_name.strip()] = {**CELERY_BEAT_SCHEDULE[_name.strip()], "schedule": float(_seconds)}
# A periodic job holds a lock in the shared cache while it runs (weishang.core.periodic), so a
# second beat or a redelivered task cannot run it twice at once; the lock expires by itself
# after this many seconds if its worker died.
PERIODIC_LOCK_SECONDS = int(os.environ.get("PERIODIC_LOCK_SECONDS", "900"))

# --- Auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["weishang.accounts.backends.PhoneBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "shop:home"
LOGOUT_REDIRECT_URL = "shop:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))
# Phone numbers are accepted for these regions only (mainland China and Taiwan).
PHONE_REGIONS = ("CN", "TW")

# --- i18n, time -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "weishang" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USER_TIME_ZONES = [("Asia/Shanghai", _("China (Asia/Shanghai)")), ("Asia/Taipei", _("Taiwan (Asia/Taipei)"))]
USE_I18N = True
USE_TZ = True

# --- Money ------------------------------------------------------------------------------
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "CNY")

# --- Static, media, fonts ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "weishang" / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Private uploads (transfer proofs, collection QR codes): outside MEDIA_ROOT so /media/ never
# reaches them; served only by views that check permission (weishang.core.uploads).
# PRIVATE_MEDIA_ACCEL: "" = Django sends the bytes; "nginx" = X-Accel-Redirect to
# PRIVATE_MEDIA_ACCEL_PREFIX (an `internal` nginx location); "sendfile" = X-Sendfile.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
PRIVATE_MEDIA_ACCEL = os.environ.get("PRIVATE_MEDIA_ACCEL", "")
PRIVATE_MEDIA_ACCEL_PREFIX = os.environ.get("PRIVATE_MEDIA_ACCEL_PREFIX", "/private-media/")
MAX_IMAGE_UPLOAD_BYTES = int(os.environ.get("MAX_IMAGE_UPLOAD_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FONT_DIR_SC = NODE_MODULES / "@expo-google-fonts" / "noto-sans-sc"
FONT_DIR_TC = NODE_MODULES / "@expo-google-fonts" / "noto-sans-tc"

# Public origin used in QR codes, invite links and code URLs.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
BRAND_NAME = os.environ.get("BRAND_NAME", "")

# LOG_FORMAT=json (the production stack, deploy/): one JSON object per line with the request
# or task id, and INFO by default so each request and task writes its line. Otherwise
# Django's plain lines at WARNING (the embedded default stays quiet and readable).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "weishang.core.logs.ContextFilter"}},
    "formatters": {"json": {"()": "weishang.core.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             **({"formatter": "json"} if LOG_FORMAT == "json" else {})}},
    "root": {"handlers": ["console"],
             "level": os.environ.get("LOG_LEVEL") or ("INFO" if LOG_FORMAT == "json" else "WARNING")},
}
# The worker logs through LOGGING above (JSON lines in production), not its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
