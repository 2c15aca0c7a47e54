"""Fixed-window rate limits shared by every worker process. One helper for logins, public
lookups, applications and code verification.

Each hit is one atomic increment-then-check, so N concurrent attempts at a limit of L let
exactly L through, whichever worker serves them:
- with REDIS_URL: one Lua script on Redis (INCR, and EXPIRE on the window's first hit), so
  limits hold across app servers;
- otherwise: a small SQLite file (RATELIMIT_SQLITE_PATH, default var/ratelimit.sqlite3)
  and one `INSERT … ON CONFLICT DO UPDATE … RETURNING n` statement, shared by the workers
  of one machine (the embedded default). A process-local cache would multiply each limit
  by the number of workers (docs/decisions.md).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import random
import sqlite3
import threading
import time

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address. Each proxy in front appends the address it received the request
    from to X-Forwarded-For, so only the last TRUSTED_PROXY_COUNT entries were written by our
    own proxies: the entry at position -N is the client as our outermost proxy saw it.
    Anything left of it came from the client and is ignored. 0 ignores the header."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if hops <= 0:
        return remote
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if len(entries) < hops:  # not every trusted proxy added its hop: the header is not ours
        return remote
    candidate = entries[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


# --- Redis ----------------------------------------------------------------------------------
# INCR and the window's EXPIRE in one server-side step: no hit can be counted without expiry,
# and no two hits can both see the same count.
_REDIS_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""
_REDIS_UNDO = """
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
"""


def _redis(key: str):
    from django.core.cache import cache

    full = cache.make_and_validate_key(key)
    return cache._cache.get_client(full, write=True), full  # type: ignore[attr-defined]


# --- SQLite file ----------------------------------------------------------------------------
_local = threading.local()
_SCHEMA = "CREATE TABLE IF NOT EXISTS hits (key TEXT PRIMARY KEY, n INTEGER NOT NULL, expires REAL NOT NULL)"
# A row whose window has passed starts again at 1 with a new window.
_SQLITE_HIT = """
INSERT INTO hits (key, n, expires) VALUES (:key, 1, :now + :window)
ON CONFLICT (key) DO UPDATE SET
  n = CASE WHEN expires <= :now THEN 1 ELSE n + 1 END,
  expires = CASE WHEN expires <= :now THEN excluded.expires ELSE expires END
RETURNING n
"""


def _sqlite_path() -> str:
    return str(getattr(settings, "RATELIMIT_SQLITE_PATH", "") or os.path.join(settings.VAR_DIR, "ratelimit.sqlite3"))


def _sqlite() -> sqlite3.Connection:
    path = _sqlite_path()
    conn = getattr(_local, "conn", None)
    if conn is None or _local.path != path or _local.pid != os.getpid():
        # isolation_level=None: autocommit, each statement is its own (atomic) transaction.
        conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # a lost last second of counts on power loss is fine
        conn.execute(_SCHEMA)
        _local.conn, _local.path, _local.pid = conn, path, os.getpid()
    return conn


def _uses_redis() -> bool:
    return bool(getattr(settings, "REDIS_URL", ""))


def _increment(key: str, window: int) -> int:
    if _uses_redis():
        client, full = _redis(key)
        return int(client.eval(_REDIS_HIT, 1, full, int(window)))
    conn = _sqlite()
    now = time.time()
    (n,) = conn.execute(_SQLITE_HIT, {"key": key, "now": now, "window": window}).fetchone()
    if random.random() < 0.002:  # now and then, drop windows that have passed
        conn.execute("DELETE FROM hits WHERE expires <= ?", (now,))
    return int(n)


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one event; return False when it is over the limit for this window. The event
    counts even when refused, so callers check this BEFORE doing the limited work."""
    return _increment(_key(scope, ident), window) <= limit


def undo(scope: str, ident: str) -> None:
    """Take back one counted event (a login that turned out to be right)."""
    key = _key(scope, ident)
    if _uses_redis():
        client, full = _redis(key)
        client.eval(_REDIS_UNDO, 1, full)
        return
    _sqlite().execute("UPDATE hits SET n = n - 1 WHERE key = ? AND n > 0", (key,))


def count(scope: str, ident: str) -> int:
    key = _key(scope, ident)
    if _uses_redis():
        client, full = _redis(key)
        return int(client.get(full) or 0)
    row = _sqlite().execute("SELECT n FROM hits WHERE key = ? AND expires > ?", (key, time.time())).fetchone()
    return int(row[0]) if row else 0


def reset(scope: str, ident: str) -> None:
    key = _key(scope, ident)
    if _uses_redis():
        client, full = _redis(key)
        client.delete(full)
        return
    _sqlite().execute("DELETE FROM hits WHERE key = ?", (key,))


def clear_all() -> None:
    """Forget every count (tests; an operator after a false alarm)."""
    if _uses_redis():
        from django.core.cache import cache

        client, _ = _redis("rl:")
        for k in client.scan_iter(match=cache.make_key("rl:*")):
            client.delete(k)
        return
    _sqlite().execute("DELETE FROM hits")
