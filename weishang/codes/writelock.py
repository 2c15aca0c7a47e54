"""Queue consumer-scan writers on SQLite without busy-waiting.

SQLite has one writer at a time. When two processes both want it, the loser polls with
sqlite's busy handler, which sleeps 1, 2, 5 … 100 ms between tries: under load most scans
would spend their time asleep (measured: ~90 requests/s with 125 ms median latency under
granian with 2 workers). Scan writers therefore take an exclusive `flock` on a file beside
the database (plus a thread lock inside the process) before BEGIN IMMEDIATE: the kernel
hands the lock to the next writer the moment it is released. PostgreSQL needs none of this
(row locks), so the lock is a no-op there.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import threading

from django.db import DEFAULT_DB_ALIAS, connections

_thread_lock = threading.Lock()
_fds: dict[str, int] = {}


def _enabled() -> bool:
    from . import conf

    return conf.scan_file_lock()


def _lock_path(settings_dict: dict) -> str | None:
    name = str(settings_dict.get("NAME") or "")
    if not name or name.startswith("file:") or ":memory:" in name:
        return None
    test_name = (settings_dict.get("TEST") or {}).get("NAME")
    if test_name and name == str(test_name):
        return None  # a test run's throw-away database, used by one process: no file left behind
    return name + ".scanlock"


@contextlib.contextmanager
def scan_write_lock():
    conn = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
    if conn.vendor != "sqlite" or not _enabled():
        yield
        return
    path = _lock_path(conn.settings_dict)
    with _thread_lock:
        if path is None:
            yield
            return
        key = f"{os.getpid()}:{path}"  # never share an inherited descriptor with a forked parent
        fd = _fds.get(key)
        if fd is None:
            fd = _fds[key] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if not _cleanup_registered:
                _register_cleanup()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


_cleanup_registered = False


def _register_cleanup() -> None:
    global _cleanup_registered
    _cleanup_registered = True
    atexit.register(_remove_orphans)


def _remove_orphans() -> None:
    """At exit, remove the lock files of databases that no longer exist (a test run's
    throw-away SQLite file). A live database's lock file is never removed: another process
    may hold it, and a new file would no longer exclude that process."""
    for key in list(_fds):
        path = key.split(":", 1)[1]
        if not os.path.exists(path.removesuffix(".scanlock")):
            with contextlib.suppress(OSError):
                os.unlink(path)


def close_all() -> None:
    """Close this process's lock files (tests, which point the lock at a temporary file)."""
    with _thread_lock:
        while _fds:
            os.close(_fds.popitem()[1])
