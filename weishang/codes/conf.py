"""Knobs for anti-counterfeit codes, from settings or the environment.

CODE_KEYS       "1:<base64 secret>,2:<base64 secret>" — every key version that still
                verifies; secrets of at least 16 bytes. Never stored in the database.
CODE_KEY_VERSION the version new batches are printed with (default: the highest).
Without CODE_KEYS the embedded default derives version 1 from SECRET_KEY, so a dev
checkout works out of the box and no known key ships with the code.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from .codec import Codec

_values: dict[str, object] = {}  # read once per process: these are read on every scan


def _get(name: str, default):
    try:
        return _values[name]
    except KeyError:
        pass
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    value = default if value in (None, "") else value
    _values[name] = value
    return value


def reset() -> None:
    """Forget every value read (tests that change the environment)."""
    _values.clear()
    _current_codec.cache_clear()
    _codec.cache_clear()


@receiver(setting_changed)
def _forget(sender, setting: str, **kwargs) -> None:
    _values.pop(setting, None)
    if setting in ("CODE_KEYS", "CODE_KEY_VERSION", "SECRET_KEY"):
        _current_codec.cache_clear()


def _int(name: str, default: int) -> int:
    return int(_get(name, default))


def parse_keys(spec: str) -> dict[int, bytes]:
    keys: dict[int, bytes] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        version, _, secret = part.partition(":")
        try:
            v = int(version)
            raw = base64.b64decode(secret.strip() + "=" * (-len(secret.strip()) % 4), validate=False)
        except (ValueError, binascii.Error) as exc:
            raise ImproperlyConfigured(f"CODE_KEYS entry {version!r} is not 'version:base64secret'") from exc
        if not 1 <= v <= 31 or len(raw) < 16:
            raise ImproperlyConfigured("CODE_KEYS: versions are 1..31 and secrets at least 16 bytes")
        keys[v] = raw
    if not keys:
        raise ImproperlyConfigured("CODE_KEYS is empty")
    return keys


def code_keys() -> dict[int, bytes]:
    spec = _get("CODE_KEYS", "")
    if isinstance(spec, dict):
        return {int(v): (k.encode() if isinstance(k, str) else k) for v, k in spec.items()}
    if spec:
        return parse_keys(spec)
    dev = hmac.digest(settings.SECRET_KEY.encode(), b"weishang.codes.dev-key", "sha256")
    return {1: dev}


def current_version(keys: dict[int, bytes]) -> int:
    v = _int("CODE_KEY_VERSION", max(keys))
    if v not in keys:
        raise ImproperlyConfigured(f"CODE_KEY_VERSION {v} has no key in CODE_KEYS")
    return v


@functools.lru_cache(maxsize=4)
def _codec(keys: tuple[tuple[int, bytes], ...], current: int) -> Codec:
    return Codec(dict(keys), current)


@functools.cache
def _current_codec() -> Codec:
    keys = code_keys()
    return _codec(tuple(sorted(keys.items())), current_version(keys))


def get_codec() -> Codec:
    return _current_codec()


def site_url() -> str:
    return str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


# Copied-code warning: more distinct people or cities than this on one code.
def warn_people() -> int:
    return _int("CODES_WARN_PEOPLE", 5)


def warn_cities() -> int:
    return _int("CODES_WARN_CITIES", 3)


# Rate limits on verification: per client (IP) and per code, per window in seconds.
def rate_client() -> tuple[int, int]:
    return _int("CODES_RATE_CLIENT", 30), _int("CODES_RATE_CLIENT_WINDOW", 60)


def rate_code() -> tuple[int, int]:
    return _int("CODES_RATE_CODE", 60), _int("CODES_RATE_CODE_WINDOW", 3600)


# A "not genuine" answer is padded to at least this long, so forged codes (rejected with
# no I/O) and well-formed codes of no batch (one lookup) take the same time.
def negative_min_seconds() -> float:
    return float(_get("CODES_NEGATIVE_MIN_SECONDS", 0.03))


# SQLite: queue scan writers on a file lock (writelock.py) rather than SQLite's busy handler.
def scan_file_lock() -> bool:
    return str(_get("CODES_SCAN_FILE_LOCK", "1")).lower() not in ("0", "false", "no", "off")


# A consumer may correct the city of their own scan within this many seconds.
def relocate_window() -> int:
    return _int("CODES_RELOCATE_WINDOW", 1800)


# Codes per PDF label sheet run at most (short runs only; bigger runs use the CSV).
def pdf_max_labels() -> int:
    return _int("CODES_PDF_MAX_LABELS", 5000)


def max_batch_quantity() -> int:
    return _int("CODES_MAX_BATCH", 1_000_000_000)
